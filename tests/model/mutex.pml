/* mutex.pml - Spin model of parconc_mutex (parconc.h, "---- mutex"):
   parconc__mutex_lock_slow, parconc__mutex_give_up,
   parconc__mutex_unlock_slow and their futex calls, step for step.
   `make model` checks, for N threads that each lock ROUNDS times (thread 0
   with a timeout that may expire at any timed wait):

   - mutual exclusion: never two threads in the critical section;
   - no lost wake-up: no state where every live thread sleeps in the futex
     for good (Spin's invalid-end-state check: the run must always finish);
   - the word's invariants after every change: OLD > 0 => LOCKED, and
     HANDOFF => LOCKED and OLD > 0; OLD counts exactly the old waiters;
   - the fairness rule: while a waiter is old, only old waiters acquire
     (asserted at every acquisition), and a HANDOFF always has a taker.

   Mutations that must fail (make model runs them, to show the checks can):
   -DANY_TAKER      a waiter that is not old may take a HANDOFF;
   -DNO_RECONTEND   a waiter that takes the free lock does not set CONTENDED
                    again (a lost wake-up when two sleep);
   -DLEAVE_HANDOFF  an old waiter that times out counts itself out even
                    when the lock was handed to it (a HANDOFF nobody takes).

   Time is abstracted: "has waited more than 1 ms" may become true at any
   check, a sleep with a timer (the registration sleep, a timed waiter's
   deadline) may end at any moment, and a futex wake picks any sleeper with
   a matching tag (every order the kernel could choose).  The word is one
   int, as in C: bit 0 LOCKED, bit 1 HANDOFF, bit 3 CONTENDED, OLD from
   bit 8. */

#ifndef N
#define N 3  /* at most 4 (futex_wake_one) */
#endif
#ifndef ROUNDS
#define ROUNDS 2
#endif

#define LOCKED    1
#define HANDOFF   2
#define CONTENDED 8
#define OLD_ONE   256
#define TAG_WAITER 1
#define TAG_OLD    2

#ifdef NO_RECONTEND
#define RECONTEND 0
#else
#define RECONTEND CONTENDED
#endif

int w;                  /* the mutex word */
byte sleeping[N];       /* futex: 0 awake, else the tag it sleeps with */
byte in_cs;             /* threads in the critical section */
byte nold;              /* ghost: threads counted in OLD */

inline check_word() {
    assert(w / OLD_ONE == nold);
    assert(w / OLD_ONE == 0 || (w & LOCKED));
    assert(!(w & HANDOFF) || ((w & LOCKED) && w / OLD_ONE > 0))
}

/* compare-and-swap on the word: ok = 1 and w = n if w == s, else s = w;
   d: the change of the ghost count that goes with it */
inline cas_d(s, n, ok, d) {
    atomic { if :: w == s -> w = (n); nold = nold + (d); ok = 1; check_word() :: else -> s = w; ok = 0 fi }
}
inline cas(s, n, ok) { cas_d(s, n, ok, 0) }

/* futex_wait(&w, s, tag): sleeps only if the word still equals s; a sleep
   with a timer may end by itself (expired = 1 for a deadline) */
inline futex_wait(me, s, tag, timer, deadline) {
    atomic { if :: w == s -> sleeping[me] = tag :: else -> skip fi };
    if
    :: sleeping[me] == 0 -> skip                                    /* woken (or never slept) */
    :: atomic { timer && sleeping[me] != 0 -> sleeping[me] = 0; expired = deadline }
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

/* futex_wake(&w, INT_MAX) with a tag mask */
inline futex_wake_all(mask) {
    atomic {
        i = 0;
        do
        :: i < N -> if :: sleeping[i] & (mask) -> sleeping[i] = 0 :: else -> skip fi; i++
        :: i == N -> break
        od
    }
}

/* s: the word our acquiring CAS replaced */
inline acquired(was_old, s) {
    /* the fairness rule: with old waiters counted, only they get in */
    assert(was_old || s / OLD_ONE == 0);
    in_cs++;
    assert(in_cs == 1);
    in_cs--
}

proctype thread(byte me; bool timed)
{
    int s;
    byte round = 0, i;
    bool ok, old, expired;

    do
    :: round < ROUNDS ->
        old = 0; expired = 0;
        /* fast path: one CAS from 0 */
        s = 0;
        cas(s, LOCKED, ok);
        if :: ok -> acquired(old, s); goto unlock :: else -> skip fi;
        /* spin phase (one attempt; gives up while old waiters are owed) */
        s = w;
        if
        :: s / OLD_ONE == 0 && !(s & LOCKED) ->
            cas(s, s | LOCKED, ok);
            if :: ok -> acquired(old, s); goto unlock :: else -> skip fi
        :: else -> skip
        fi;
wait_loop:
        s = w;
        if
        :: old && (s & HANDOFF) ->
            cas_d(s, ((s & ~HANDOFF) - OLD_ONE) | CONTENDED, ok, -1);
            if :: ok -> old = 0; acquired(1, s); goto unlock :: else -> goto wait_loop fi
#ifdef ANY_TAKER
        :: !old && (s & HANDOFF) ->
            cas(s, (s & ~HANDOFF) | CONTENDED, ok);
            if :: ok -> acquired(old, s); goto unlock :: else -> goto wait_loop fi
#endif
        :: !(old && (s & HANDOFF)) && !(s & LOCKED) ->       /* free */
            cas(s, s | LOCKED | RECONTEND, ok);
            if :: ok -> acquired(old, s); goto unlock :: else -> goto wait_loop fi
        :: !(old && (s & HANDOFF)) && (s & LOCKED) ->
            if
            :: !(s & CONTENDED) ->                 /* announce a sleeper first */
                cas(s, s | CONTENDED, ok);
                if :: !ok -> goto wait_loop :: else -> s = s | CONTENDED fi
            :: else -> skip
            fi;
            if
            :: !old ->
                if
                :: true ->                         /* waited > 1 ms: count in */
                    cas_d(s, s + OLD_ONE, ok, 1);
                    if
                    :: ok -> old = 1;
                        if :: s / OLD_ONE == 0 -> futex_wake_all(TAG_WAITER) :: else -> skip fi
                    :: else -> skip
                    fi;
                    goto wait_loop
                :: s / OLD_ONE > 0 ->              /* hand-off mode: sleep until the 1 ms is up */
                    futex_wait(me, s, TAG_WAITER, 1, 0);
                    goto wait_loop
                :: true -> skip                    /* not yet: an ordinary sleep */
                fi
            :: else -> skip
            fi;
            if
            :: old -> futex_wait(me, s, TAG_OLD, timed, 1)
            :: else -> futex_wait(me, s, TAG_WAITER, timed, 1)
            fi;
            if :: expired -> goto give_up :: else -> goto wait_loop fi
        fi;
give_up:
        /* parconc__mutex_give_up */
        s = w;
        do
        :: old && (s & HANDOFF) ->
            cas_d(s, ((s & ~HANDOFF) - OLD_ONE) | CONTENDED, ok, -1);
            if :: ok -> old = 0; acquired(1, s); goto unlock :: else -> skip fi
#ifdef LEAVE_HANDOFF
        :: old && (s & HANDOFF) ->
            cas_d(s, s - OLD_ONE, ok, -1);
            if :: ok -> old = 0; break :: else -> skip fi
#endif
        :: !(old && (s & HANDOFF)) && !(s & LOCKED) ->
            cas(s, s | LOCKED | CONTENDED, ok);
            if :: ok -> acquired(old, s); goto unlock :: else -> skip fi
        :: !(old && (s & HANDOFF)) && (s & LOCKED) && old ->
            cas_d(s, s - OLD_ONE, ok, -1);
            if :: ok -> old = 0; break :: else -> skip fi
        :: !(old && (s & HANDOFF)) && (s & LOCKED) && !old -> break
        od;
        round++;
        goto next;
unlock:
        /* parconc__mutex_unlock_raw / _slow */
        s = LOCKED;
        cas(s, 0, ok);
        do
        :: ok -> break
        :: !ok ->
            assert((s & LOCKED) && !(s & HANDOFF));  /* unlock of a held lock */
            if
            :: s / OLD_ONE > 0 ->
                cas(s, s | HANDOFF, ok);             /* check_word: the taker is counted */
                if :: ok -> futex_wake_one(TAG_OLD); break :: else -> skip fi
            :: else ->
                cas(s, s & ~(LOCKED | CONTENDED), ok);
                if :: ok -> if :: s & CONTENDED -> futex_wake_one(TAG_WAITER | TAG_OLD) :: else -> skip fi; break
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
