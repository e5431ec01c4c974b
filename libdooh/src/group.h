/* group.h — group commit between the event loop (server.c) and the database (db.c); not API.
 *
 * The generated CRUD writes that one worker answers in one round of its event loop share one
 * SQLite transaction. A write joins the open group (db.c opens it with BEGIN IMMEDIATE); its
 * response waits on its connection until the server ends the round: then the group commits
 * and the waiting responses are sent — or, if the commit failed, replaced by an error. Any
 * other statement (a read, a handler's SQL, auth) commits the open group first, so no
 * response ever shows data that is not committed.
 *
 * dooh__group is NULL until dooh_db_open succeeds with group commit on (DOO_DB_GROUP_COMMIT),
 * so programs without a database never call into db.c.
 */
#ifndef DOOH_GROUP_H
#define DOOH_GROUP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct dooh__group_ops {
    void (*enable)(void);          /* the calling thread is an event-loop worker */
    uint64_t (*take)(void);        /* the group the request just answered joined (0: none) */
    void (*commit)(void);          /* end the round: commit the open group, if any */
    int (*status)(uint64_t group); /* 0 if it committed, else the HTTP status to answer */
    void (*forget)(void);          /* drop this round's outcomes */
    void (*batch)(bool on);        /* around the requests of one input buffer (reads share
                                      one snapshot); off ends it */
} dooh__group_ops;

extern const dooh__group_ops *dooh__group;

#endif
