/* mutex.pml - Spin model of parconc_mutex (parconc.h, "---- mutex"):
   parconc__mutex_lock_slow, parconc__mutex_unlock_slow and their futex
   calls, step for step.  `make model` checks, for N threads that each lock
   ROUNDS times (thread 0 with a timeout that may expire at any wait):

   - mutual exclusion: never two threads in the critical section;
   - no lost wake-up: no state where every live thread sleeps in the futex
     (Spin's invalid-end-state check: the run must always finish);
   - the fairness bound: once a waiter has set STARVING, no other thread
     acquires the lock before it (asserted at every acquisition), and a
     HANDOFF always has its taker waiting.

   Mutations that must fail (make model runs them, to show the checks can):
   -DANY_TAKER      the earlier protocol: any waiter that saw HANDOFF took it
                    (breaks the fairness bound);
   -DNO_RECONTEND   a waiter that takes the free lock does not set CONTENDED
                    again (a lost wake-up when two sleep).

   Time is abstracted: "has waited more than 1 ms" may become true at any
   check, and a futex wake picks any sleeper with a matching tag (every
   order the kernel could choose).  The word is one int, as in C:
   bit 0 LOCKED, bit 1 HANDOFF, bit 2 STARVING, bit 3 CONTENDED. */

#ifndef N
#define N 3  /* at most 4 (futex_wake_one) */
#endif
#ifndef ROUNDS
#define ROUNDS 2
#endif

#define LOCKED    1
#define HANDOFF   2
#define STARVING  4
#define CONTENDED 8
#define TAG_WAITER  1
#define TAG_STARVER 2

#ifdef NO_RECONTEND
#define RECONTEND 0
#else
#define RECONTEND CONTENDED
#endif

int w;                  /* the mutex word */
byte sleeping[N];       /* futex: 0 awake, else the tag it sleeps with */
byte in_cs;             /* threads in the critical section */
byte starver = 255;     /* ghost: who holds STARVING (255: nobody) */

/* compare-and-swap on the word: ok = 1 and w = n if w == s, else s = w */
inline cas(s, n, ok) {
    atomic { if :: w == s -> w = (n); ok = 1 :: else -> s = w; ok = 0 fi }
}

/* the same, for a CAS that also clears our STARVING: the ghost follows */
inline cas_unstarve(s, n, ok) {
    atomic { if :: w == s -> w = (n); ok = 1; starver = 255 :: else -> s = w; ok = 0 fi }
}

/* futex_wait(&w, s, tag): sleeps only if the word still equals s; a timed
   waiter's sleep may end by its deadline (never after being woken) */
inline futex_wait(me, s, tag) {
    atomic { if :: w == s -> sleeping[me] = tag :: else -> skip fi };
    if
    :: sleeping[me] == 0 -> skip                     /* woken (or never slept) */
    :: atomic { timed && sleeping[me] != 0 -> sleeping[me] = 0; expired = 1 } /* deadline */
    fi
}

/* futex_wake(&w, 1) with a tag mask: one sleeper whose tag matches */
inline futex_wake_one(mask) {
    atomic {
        if
        :: sleeping[0] & (mask) -> sleeping[0] = 0
        :: sleeping[1] & (mask) -> sleeping[1] = 0
        :: N > 2 && (sleeping[2 * (N > 2)] & (mask)) -> sleeping[2 * (N > 2)] = 0
        :: N > 3 && (sleeping[3 * (N > 3)] & (mask)) -> sleeping[3 * (N > 3)] = 0
        :: else -> skip                                /* nobody asleep */
        fi
    }
}

inline acquired(me, s) {
    /* the fairness bound: with STARVING set only its owner gets in */
    assert(!(s & STARVING) || mine);
    in_cs++;
    assert(in_cs == 1);
    in_cs--
}

proctype thread(byte me; bool timed)
{
    int s, n;
    byte round = 0;
    bool ok, mine, expired, take;

    do
    :: round < ROUNDS ->
        mine = 0; expired = 0;
        /* fast path: one CAS from 0 */
        s = 0;
        cas(s, LOCKED, ok);
        if :: ok -> acquired(me, 0); goto unlock :: else -> skip fi;
        /* spin phase (a few attempts; gives up on STARVING) */
        s = w;
        if
        :: !(s & STARVING) && !(s & LOCKED) ->
            cas(s, s | LOCKED, ok);
            if :: ok -> acquired(me, s); goto unlock :: else -> skip fi
        :: else -> skip
        fi;
wait_loop:
        s = w;
        if
        :: (s & HANDOFF) && mine ->
            cas_unstarve(s, (s & ~(HANDOFF | STARVING)) | CONTENDED, ok);
            if :: ok -> acquired(me, s); goto unlock :: else -> goto wait_loop fi
#ifdef ANY_TAKER
        :: (s & HANDOFF) && !mine ->
            cas(s, (s & ~HANDOFF) | CONTENDED, ok);
            if :: ok -> acquired(me, s); goto unlock :: else -> goto wait_loop fi
#endif
        :: !(s & HANDOFF && mine) && !(s & (LOCKED | STARVING)) ->   /* free */
            cas(s, s | LOCKED | RECONTEND, ok);
            if :: ok -> acquired(me, s); goto unlock :: else -> goto wait_loop fi
        :: !(s & HANDOFF && mine) && (s & (LOCKED | STARVING)) ->
            if
            :: !(s & CONTENDED) ->                 /* announce a sleeper first */
                cas(s, s | CONTENDED, ok);
                if :: !ok -> goto wait_loop :: else -> s = s | CONTENDED fi
            :: else -> skip
            fi;
            if
            :: !mine && !(s & STARVING) ->         /* waited > 1 ms: claim STARVING */
                atomic { if :: w == s -> w = s | STARVING; mine = 1; starver = me :: else -> skip fi };
                goto wait_loop
            :: true -> skip                        /* not yet (or taken): sleep */
            fi;
            if :: mine -> futex_wait(me, s, TAG_STARVER) :: else -> futex_wait(me, s, TAG_WAITER) fi;
            if :: expired -> goto timed_out :: else -> goto wait_loop fi
        fi;
timed_out:
        s = w;
        do
        :: (s & HANDOFF) && mine -> take = 1; cas_unstarve(s, (s & ~(HANDOFF | STARVING)) | CONTENDED, ok);
           if :: ok -> break :: else -> skip fi
        :: !(s & HANDOFF && mine) && !(s & (LOCKED | STARVING)) -> take = 1; cas(s, s | LOCKED | CONTENDED, ok);
           if :: ok -> break :: else -> skip fi
        :: !(s & HANDOFF && mine) && (s & (LOCKED | STARVING)) && mine -> take = 0; cas_unstarve(s, s & ~STARVING, ok);
           if :: ok -> break :: else -> skip fi
        :: !(s & HANDOFF && mine) && (s & (LOCKED | STARVING)) && !mine -> take = 0; break
        od;
        if :: take -> acquired(me, s); goto unlock :: else -> round++; goto next fi;
unlock:
        /* parconc__mutex_unlock_raw / _slow */
        s = LOCKED;
        cas(s, 0, ok);
        do
        :: ok -> break
        :: !ok ->
            assert((s & LOCKED) && !(s & HANDOFF));  /* unlock of a held lock */
            if
            :: s & STARVING ->
                atomic { /* the hand-off CAS; its taker must be waiting */
                    if :: w == s -> assert(starver != 255); w = s | HANDOFF; ok = 1
                       :: else -> s = w; ok = 0 fi };
                if :: ok -> futex_wake_one(TAG_STARVER); break :: else -> skip fi
            :: else ->
                cas(s, s & ~(LOCKED | CONTENDED), ok);
                if :: ok -> if :: s & CONTENDED -> futex_wake_one(TAG_WAITER | TAG_STARVER) :: else -> skip fi; break
                   :: else -> skip fi
            fi
        od;
        round++;
next:   skip
    :: round == ROUNDS -> break
    od
}

init {
    byte i;
    atomic {
        for (i : 0 .. N - 1) { run thread(i, i == 0) }
    }
}
