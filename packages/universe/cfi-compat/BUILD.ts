// The universe's package builds for the cfi-compat variant (see ../universeTargets.ts).
import { declareVariant } from "../universeTargets.js";

declareVariant("cfi-compat");
