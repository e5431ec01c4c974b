-- The tasks table every database peer serves (run.py creates and seeds it before each start).
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'Medium' CHECK (priority IN ('Low', 'Medium', 'High')),
    done INTEGER NOT NULL DEFAULT 0
);
