"""The workbench (`doo tui`): a Textual front end over `doo.devloop`.

Only this package imports textual. The app (app.py) starts a `DevLoop` and turns its events
into widget updates; requests and bench runs are thread workers that post messages back.
One module per screen area: status.py, problems.py, server_log.py, requests.py, bench.py,
help.py; the layout and colours are in app.tcss.
"""
