// The Go net/http peer: /plaintext, /json, and GET /tasks/:id + POST /tasks over SQLite
// (mattn/go-sqlite3 from Debian's golang-github-mattn-go-sqlite3-dev, built in GOPATH mode).
// Listens on $ADDR; the database file is $DB (created with the shared schema).
package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	_ "github.com/mattn/go-sqlite3"
)

type message struct {
	Message string `json:"message"`
}

type task struct {
	ID       int64  `json:"id"`
	Title    string `json:"Title"`
	Priority string `json:"Priority"`
	Done     bool   `json:"Done"`
}

var db *sql.DB
var getStmt, insStmt *sql.Stmt

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"status": status, "detail": detail})
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func getTask(w http.ResponseWriter, idText string) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		problem(w, 400, "id must be an integer")
		return
	}
	var t task
	var done int
	err = getStmt.QueryRow(id).Scan(&t.ID, &t.Title, &t.Priority, &done)
	if err == sql.ErrNoRows {
		problem(w, 404, "no such task")
		return
	} else if err != nil {
		problem(w, 500, "database error")
		return
	}
	t.Done = done != 0
	writeJSON(w, 200, map[string]any{"data": t})
}

func postTask(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		problem(w, 400, "unreadable body")
		return
	}
	var in map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil {
		problem(w, 400, "body must be a JSON object")
		return
	}
	t := task{Priority: "Medium"}
	if raw, ok := in["Title"]; !ok || json.Unmarshal(raw, &t.Title) != nil {
		problem(w, 422, "Title: required string")
		return
	}
	if n := utf8.RuneCountInString(t.Title); n < 1 || n > 200 {
		problem(w, 422, "Title: 1 to 200 characters")
		return
	}
	if raw, ok := in["Priority"]; ok {
		if json.Unmarshal(raw, &t.Priority) != nil ||
			(t.Priority != "Low" && t.Priority != "Medium" && t.Priority != "High") {
			problem(w, 422, "Priority: one of Low, Medium, High")
			return
		}
	}
	if raw, ok := in["Done"]; ok && json.Unmarshal(raw, &t.Done) != nil {
		problem(w, 422, "Done: boolean")
		return
	}
	done := 0
	if t.Done {
		done = 1
	}
	res, err := insStmt.Exec(t.Title, t.Priority, done)
	if err != nil {
		problem(w, 500, "database error")
		return
	}
	t.ID, _ = res.LastInsertId()
	w.Header().Set("Location", fmt.Sprintf("/tasks/%d", t.ID))
	writeJSON(w, 201, map[string]any{"data": t})
}

func main() {
	var err error
	db, err = sql.Open("sqlite3", "file:"+os.Getenv("DB")+"?_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=5000")
	if err != nil {
		log.Fatal(err)
	}
	if getStmt, err = db.Prepare("SELECT id, title, priority, done FROM tasks WHERE id = ?"); err != nil {
		log.Fatal(err)
	}
	if insStmt, err = db.Prepare("INSERT INTO tasks (title, priority, done) VALUES (?, ?, ?)"); err != nil {
		log.Fatal(err)
	}
	hello := []byte("Hello, World!")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/plaintext":
			w.Header().Set("Content-Type", "text/plain")
			w.Write(hello)
		case r.URL.Path == "/json":
			writeJSON(w, 200, message{"Hello, World!"})
		case r.URL.Path == "/tasks" && r.Method == "POST":
			postTask(w, r)
		case strings.HasPrefix(r.URL.Path, "/tasks/") && r.Method == "GET":
			getTask(w, r.URL.Path[len("/tasks/"):])
		default:
			problem(w, 404, "not found")
		}
	})
	log.Fatal(http.ListenAndServe(os.Getenv("ADDR"), nil))
}
