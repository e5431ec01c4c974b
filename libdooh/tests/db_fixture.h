/* db_fixture.h — the tables the data-layer tests and demo_db.c share, written as the compiler
 * emits them (doo/backend_c/emit_db.py) for:
 *
 *   enum Priority { Low, Medium, High }
 *   struct User { @primary @auto id: Int, @email @unique Email: Str, @min(1) @max(100) Name: Str,
 *                 @writeOnly Secret: Str? }
 *   struct Task { @primary @auto id: Int, @min(1) @max(200) @unique Title: Str, Notes: Str?,
 *                 @default(Priority::Medium) Priority: Priority, @default(false) Done: Bool,
 *                 @foreign(User) OwnerId: Int?, @min(0) Estimate: Float? }
 *   app.crud("/users", User, db); app.crud("/tasks", Task, db);
 */
#ifndef DOOH_DB_FIXTURE_H
#define DOOH_DB_FIXTURE_H

#include "dooh/db.h"

static const char *const fx_priority[] = { "Low", "Medium", "High" };

static const dooh_column fx_user_cols[] = {
    { "id", "id", DOOH_COL_INT, DOOH_COL_PRIMARY | DOOH_COL_AUTO | DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Email", "email", DOOH_COL_TEXT, DOOH_COL_UNIQUE, NULL, 0,
      { DOOH_RULE_EMAIL, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Name", "name", DOOH_COL_TEXT, 0, NULL, 0,
      { DOOH_RULE_MIN | DOOH_RULE_MAX, 1.0, 100.0, NULL, NULL }, NULL, NULL },
    { "Secret", "secret", DOOH_COL_TEXT, DOOH_COL_OPTIONAL | DOOH_COL_NO_OUTPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, NULL },
};
static const dooh_table fx_users = { "users", "User", "/users", fx_user_cols, 4, 0 };

static const dooh_column fx_task_cols[] = {
    { "id", "id", DOOH_COL_INT, DOOH_COL_PRIMARY | DOOH_COL_AUTO | DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Title", "title", DOOH_COL_TEXT, DOOH_COL_UNIQUE, NULL, 0,
      { DOOH_RULE_MIN | DOOH_RULE_MAX, 1.0, 200.0, NULL, NULL }, NULL, NULL },
    { "Notes", "notes", DOOH_COL_TEXT, DOOH_COL_OPTIONAL, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Priority", "priority", DOOH_COL_ENUM, 0, fx_priority, 3,
      { 0, 0.0, 0.0, NULL, NULL }, "'Medium'", NULL },
    { "Done", "done", DOOH_COL_BOOL, 0, NULL, 0, { 0, 0.0, 0.0, NULL, NULL }, "0", NULL },
    { "OwnerId", "owner_id", DOOH_COL_INT, DOOH_COL_OPTIONAL, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, "users" },
    { "Estimate", "estimate", DOOH_COL_FLOAT, DOOH_COL_OPTIONAL, NULL, 0,
      { DOOH_RULE_MIN, 0.0, 0.0, NULL, NULL }, NULL, NULL },
};
static const dooh_table fx_tasks = { "tasks", "Task", "/tasks", fx_task_cols, 7, 0 };

static const dooh_table *const fx_tables[] = { &fx_users, &fx_tasks };

#endif
