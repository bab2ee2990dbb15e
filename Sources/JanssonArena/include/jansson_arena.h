/*
 * JanssonArena: jansson's allocations carved from shared blocks instead of one malloc each.
 *
 * A reply parses into about 300 small allocations (every key, string, number, table). The
 * arena hands them out of 64 KiB blocks by bumping an offset in the calling thread's current
 * block; each block counts its live allocations atomically, and the free that brings the count
 * to zero returns the whole block. So a value may be freed on any thread, in any order, long
 * after the block stopped being anyone's current one. Requests over 1 KiB go to malloc.
 *
 * Installed by a constructor before main, so no jansson allocation ever comes from another
 * allocator. OFFER_CANCEL_JANSSON_ARENA=0 in the environment leaves jansson on malloc (for
 * A/B measurements).
 */
#ifndef JANSSON_ARENA_H
#define JANSSON_ARENA_H

#include <stdint.h>

/* A snapshot of the arena's counters. */
typedef struct {
    int32_t installed;       /* 1 when jansson allocates from the arena */
    int64_t blocksMade;      /* blocks ever taken from malloc */
    int64_t blocksReturned;  /* blocks given back (all their allocations freed) */
    int64_t largeLive;       /* allocations over the small limit not yet freed */
} jansson_arena_stats;

jansson_arena_stats jansson_arena_statistics(void);

#endif
