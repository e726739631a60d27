// A small real C program, built with the generic `cmd` rule.
import { cmd } from "xbuild";

const GCC = "/usr/bin/gcc";

// A generated header: the greeting text becomes a C string.
cmd({
  name: "greeting",
  srcs: ["greeting.txt"],
  outs: ["greeting.h"],
  cmd: `printf '#define GREETING "%s"\\n' "$(cat $<)" > $@`,
});

cmd({
  name: "hello",
  srcs: ["hello.c", ":greeting"],
  outs: ["hello"],
  cmd: "gcc -O2 -Wall -Werror -I$(RULEDIR) -o $@ $(location hello.c)",
  tools: [GCC],
});

// Runs the program: its output is a build product too.
cmd({
  name: "hello-output",
  srcs: [":hello"],
  outs: ["hello.txt"],
  cmd: "./$(location :hello) > $@",
});
