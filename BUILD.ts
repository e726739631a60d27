// The root package of the XSC workspace. Everything a user builds has a label //pkg:name;
// see README.md. The distribution's entry points live in //iso, //kernel, //packages and
// //toolchains; //examples holds a small C program that shows the rule API.
import { filegroup } from "xbuild";

filegroup({ name: "examples", srcs: ["//examples/hello:hello"] });
