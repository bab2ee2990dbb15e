/*
 * CJansson: the C surface of jansson that Swift can call.
 *
 * Swift imports jansson's functions directly. What it cannot import —
 * function-like macros, inline functions that take `json_t *` by macro,
 * and variadic functions — is wrapped here as `static inline` helpers,
 * every one prefixed `cjansson_`. Only the JSONStream module imports this.
 */
#ifndef CJANSSON_SHIM_H
#define CJANSSON_SHIM_H

#include <jansson.h>
#include <stddef.h>

/* JSONStream shares immutable values across threads; that needs atomic reference counts. */
#if !(JSON_HAVE_ATOMIC_BUILTINS || JSON_HAVE_SYNC_BUILTINS)
#error "jansson must be built with atomic reference counting"
#endif

/* Type tests (macros in jansson.h). */
static inline json_type cjansson_typeof(const json_t *json) { return json_typeof(json); }

/* Reference counting (json_incref / json_decref are inline with a macro guard). */
static inline json_t *cjansson_incref(json_t *json) { return json_incref(json); }
static inline void cjansson_decref(json_t *json) { json_decref(json); }

/* Object iteration without the json_object_foreach macro. */
static inline void *cjansson_object_iter(json_t *object) { return json_object_iter(object); }
static inline void *cjansson_object_iter_next(json_t *object, void *iter) { return json_object_iter_next(object, iter); }
static inline const char *cjansson_object_iter_key(void *iter) { return json_object_iter_key(iter); }
static inline size_t cjansson_object_iter_key_len(void *iter) { return json_object_iter_key_len(iter); }
static inline json_t *cjansson_object_iter_value(void *iter) { return json_object_iter_value(iter); }

/* Setters that steal the reference to `value` (json_*_new macros in some versions). */
static inline int cjansson_object_setn_new(json_t *object, const char *key, size_t key_len, json_t *value) {
    return json_object_setn_new_nocheck(object, key, key_len, value);
}
static inline int cjansson_array_append_new(json_t *array, json_t *value) {
    return json_array_append_new(array, value);
}

/* The error text's length is bounded by JSON_ERROR_TEXT_LENGTH; Swift reads it as a tuple. */
static inline const char *cjansson_error_text(const json_error_t *error) { return error->text; }

/* json_boolean(val) is a macro. */
static inline json_t *cjansson_boolean(int value) { return value ? json_true() : json_false(); }

#endif
