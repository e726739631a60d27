// The universe's package builds for the base variant (see ../universeTargets.ts).
import { declareVariant } from "../universeTargets.js";

declareVariant("base");
