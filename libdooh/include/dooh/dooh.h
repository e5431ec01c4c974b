/* dooh/dooh.h — everything generated code includes. */
#ifndef DOOH_DOOH_H
#define DOOH_DOOH_H
#include "dooh/arena.h"
#include "dooh/buf.h"
#include "dooh/rt.h"
#include "dooh/json.h"
#include "dooh/validate.h"
#include "dooh/http.h"
#include "dooh/db.h"
#include "dooh/auth.h"
#endif
