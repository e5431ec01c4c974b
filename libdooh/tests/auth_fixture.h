/* auth_fixture.h — the tables demo_auth.c and test_auth.c share, written as the compiler emits
 * them for:
 *
 *   struct User { @primary @auto id: Int, @email @unique Email: Str, @hash @min(8) Password: Str,
 *                 @min(1) @max(100) Name: Str, @readOnly @default("user") Role: Str }
 *   struct Task { @primary @auto id: Int, @min(1) @max(200) Title: Str,
 *                 @default(false) Done: Bool, @owner @foreign(User) OwnerId: Int }
 *   app.auth("/auth/signup", "/auth/login", User, db); app.crud("/tasks", Task, db);
 */
#ifndef DOOH_AUTH_FIXTURE_H
#define DOOH_AUTH_FIXTURE_H

#include "dooh/auth.h"
#include "dooh/db.h"

static const dooh_column ax_user_cols[] = {
    { "id", "id", DOOH_COL_INT, DOOH_COL_PRIMARY | DOOH_COL_AUTO | DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Email", "email", DOOH_COL_TEXT, DOOH_COL_UNIQUE, NULL, 0,
      { DOOH_RULE_EMAIL, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Password", "password", DOOH_COL_TEXT, DOOH_COL_NO_OUTPUT | DOOH_COL_HASH, NULL, 0,
      { DOOH_RULE_MIN, 8.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Name", "name", DOOH_COL_TEXT, 0, NULL, 0,
      { DOOH_RULE_MIN | DOOH_RULE_MAX, 1.0, 100.0, NULL, NULL }, NULL, NULL },
    { "Role", "role", DOOH_COL_TEXT, DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, "'user'", NULL },
};
static const dooh_table ax_users = { "users", "User", NULL, ax_user_cols, 5, 0 };

static const dooh_column ax_task_cols[] = {
    { "id", "id", DOOH_COL_INT, DOOH_COL_PRIMARY | DOOH_COL_AUTO | DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, NULL },
    { "Title", "title", DOOH_COL_TEXT, 0, NULL, 0,
      { DOOH_RULE_MIN | DOOH_RULE_MAX, 1.0, 200.0, NULL, NULL }, NULL, NULL },
    { "Done", "done", DOOH_COL_BOOL, 0, NULL, 0, { 0, 0.0, 0.0, NULL, NULL }, "0", NULL },
    { "OwnerId", "owner_id", DOOH_COL_INT, DOOH_COL_OWNER | DOOH_COL_NO_INPUT, NULL, 0,
      { 0, 0.0, 0.0, NULL, NULL }, NULL, "users" },
};
static const dooh_table ax_tasks = { "tasks", "Task", "/tasks", ax_task_cols, 4, 0 };

static const dooh_table *const ax_tables[] = { &ax_users, &ax_tasks };

static const dooh_auth_config ax_auth = { &ax_users, 1, 2, 4, "/auth/signup", "/auth/login", "/auth/me" };

#endif
