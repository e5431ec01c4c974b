"""The dev loop: watch a project, re-check and rebuild on save, restart its server, and load it.

This package is the headless core shared by `doo dev`, `doo tui` and the tests. It never
imports textual (a test proves it); the workbench in `doo.tui` only turns its events into
widgets. Modules:

  events.py   the plain dataclasses the loop reports (BuildStarted, Diagnostics, ...)
  server.py   one server child process: start in its own process group, log lines, stop
  engine.py   DevLoop: watchfiles → debounce → content hash → check → build → restart
  routes.py   the route table of a checked program, with example bodies for the Requests tab
  client.py   one HTTP request with the standard library, timed
  benchrun.py a release build loaded by `doo.devloop.bench.run_load` (owned by the bench issue)
  console.py  `doo dev`: events as terminal lines or JSON lines
"""
