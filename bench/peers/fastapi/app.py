"""The FastAPI + uvicorn peer: /plaintext, /json, and GET /tasks/{id} + POST /tasks over SQLite
with the standard library's sqlite3 (one connection per worker process). Database file: $DB."""

import os
import sqlite3
from typing import Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

app = FastAPI()
db = sqlite3.connect(os.environ.get("DB", "bench.db"), check_same_thread=False,
                     isolation_level=None)
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = NORMAL")


class TaskIn(BaseModel):
    Title: str = Field(min_length=1, max_length=200)
    Priority: Literal["Low", "Medium", "High"] = "Medium"
    Done: bool = False


@app.get("/plaintext", response_class=PlainTextResponse)
def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
def json_() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/tasks/{task_id}")
def get_task(task_id: int) -> JSONResponse:
    r = db.execute("SELECT id, title, priority, done FROM tasks WHERE id = ?",
                   (task_id,)).fetchone()
    if r is None:
        return JSONResponse({"status": 404, "detail": "no such task"}, status_code=404)
    return JSONResponse({"data": {"id": r[0], "Title": r[1], "Priority": r[2],
                                  "Done": bool(r[3])}})


@app.post("/tasks", status_code=201)
def post_task(t: TaskIn) -> JSONResponse:
    cur = db.execute("INSERT INTO tasks (title, priority, done) VALUES (?, ?, ?)",
                     (t.Title, t.Priority, int(t.Done)))
    tid = cur.lastrowid
    return JSONResponse({"data": {"id": tid, **t.model_dump()}}, status_code=201,
                        headers={"Location": f"/tasks/{tid}"})
