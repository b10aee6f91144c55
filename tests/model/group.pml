/* group.pml - Spin model of a task group's count word (parconc.h, "a
   group's count of unsettled members" and >>impl-groups):
   parconc__group_leave (a member counts out), parconc__group_wake (the
   group's token fired: its hook), parconc_group_wait and
   parconc__group_enter (a submit at the limit), with their futex calls.

   The word holds the count and WAITERS.  Checked, for every interleaving:
   - group_wait returns once the count is 0 and never sleeps for good
     (Spin's invalid-end-state check: only members marked as blocked for
     ever may be left);
   - a submit at the limit returns: with a slot once one frees, or
     canceled once the token fired, even if no member ever leaves;
   - the count never exceeds the limit.

   Scenarios (-DSCENARIO=):
     1  two members leave while two waiters wait and the token fires;
     2  the only slot is held by a member blocked for ever; a submitter
        waits at the limit; the token fires (the hook alone must wake it);
     3  a member holding the only slot leaves; a submitter waits for it.

   Mutations that must fail (make model runs them):
   -DLEAVE_NO_CLEAR   a member counts out without clearing WAITERS (so it
                      does not know to wake);
   -DHOOK_NO_CHANGE   the hook wakes without changing the word (a waiter
                      between its token check and its sleep misses it);
   -DNO_RECHECK       a submitter sleeps right after setting WAITERS,
                      without looking at the token again. */

#ifndef SCENARIO
#define SCENARIO 1
#endif

#define W 128        /* WAITERS (the C code's bit 31) */
#define LIMIT 1

byte word;           /* count | W */
bit fired;           /* the token's reason != 0 */
byte sleeping[3];    /* futex sleepers: 1 asleep */
byte entered;        /* ghost: a submitter took a slot */

inline futex_wait(me, expect) {
    atomic { if :: word == (expect) -> sleeping[me] = 1 :: else -> skip fi };
    sleeping[me] == 0
}
inline futex_wake_all() {
    atomic { sleeping[0] = 0; sleeping[1] = 0; sleeping[2] = 0 }
}

/* parconc__group_leave */
inline leave() {
    byte c, old;
    atomic {
#ifdef LEAVE_NO_CLEAR
        old = word; word = word - 1; old = old & ~W
#else
        old = word; word = (word - 1) & ~W
#endif
    };
    if :: old & W -> futex_wake_all() :: else -> skip fi
}

/* the token fires: mark, then the hook (parconc__group_wake) */
proctype firer() {
    byte old;
    fired = 1;
#ifdef HOOK_NO_CHANGE
    futex_wake_all()
#else
    atomic { old = word; word = word & ~W };
    if :: old & W -> futex_wake_all() :: else -> skip fi
#endif
}

proctype member() { leave() }

proctype blocked_member() {
end: do :: false -> skip od /* holds its slot for ever (legitimately) */
}

/* parconc_group_wait (untimed, not inside a task) */
proctype waiter(byte me) {
    byte c;
    bit ok;
    do
    :: c = word;
       if
       :: (c & ~W) == 0 -> break
       :: else ->
          if
          :: !(c & W) ->   /* set WAITERS and sleep on the word it made */
             atomic { if :: word == c -> word = c | W; ok = 1 :: else -> ok = 0 fi };
             if :: ok -> futex_wait(me, c | W) :: else -> skip fi
          :: else -> futex_wait(me, c)
          fi
       fi
    od
}

/* parconc__group_enter (untimed, not try) */
proctype submitter(byte me) {
    byte c;
    do
    :: c = word;
       if
       :: fired -> break                          /* ECANCELED */
       :: else ->
          if
          :: (c & ~W) < LIMIT ->
             atomic { if :: word == c -> word = c + 1; entered = 1; assert((word & ~W) <= LIMIT) :: else -> skip fi };
             if :: entered -> break :: else -> skip fi
          :: else ->
             if
             :: !(c & W) ->
#ifdef NO_RECHECK
                atomic { if :: word == c -> word = c | W :: else -> skip fi };
                futex_wait(me, c | W)
#else
                atomic { if :: word == c -> word = c | W :: else -> skip fi }
#endif
             :: else -> futex_wait(me, c)
             fi
          fi
       fi
    od
}

init {
#if SCENARIO == 1
    word = 2;
    atomic { run member(); run member(); run waiter(0); run waiter(1); run firer() }
#elif SCENARIO == 2
    word = 1;
    atomic { run blocked_member(); run submitter(0); run firer() }
#else
    word = 1;
    atomic { run member(); run submitter(0) }
#endif
}
