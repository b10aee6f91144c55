/* rwlock.pml - Spin model of parconc_rwlock with the PARCONC_RW_FAIR
   (phase-fair) policy (parconc.h, "---- reader-writer lock"): the fast
   paths, parconc__rw_lock_slow with its FIFO queue and timeout exit,
   parconc__rw_grant, rdunlock, wrunlock and downgrade, step for step.
   `make model` checks, for NR readers and NW writers (each ROUNDS
   acquisitions; reader 0 has a timeout that may expire; writer 0
   downgrades on its first round):

   - exclusion: a writer is alone; readers share;
   - no lost wake-up: every queued waiter is eventually granted (Spin's
     invalid-end-state check: every run finishes);
   - phase fairness: a reader that queued enters after at most one writer
     phase; a writer that queued enters after at most one writer phase per
     writer queued ahead of it, at most that many plus one reader phases,
     and at most NR reader entries per phase (no reader phase keeps
     growing while a writer waits).

   Mutations that must fail (make model runs them): -DFRONT_ONLY (a leaving
   writer admits only the readers ahead of the next writer) and
   -DREADERS_BARGE (newcomer readers pass queued writers).

   guard_ is an abstract lock here (the mutex has its own model); a waiter's
   futex sleep on its `granted` word ends when the word leaves 2, as the
   kernel's check-and-sleep guarantees.  state_ is one int as in C, scaled
   down: readers in bits 0..3, WRITER 16, QUEUED 32. */

#ifndef NR
#define NR 2
#endif
#ifndef NW
#define NW 2
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif
#define NT (NR + NW)
#define READERS 15
#define WRITER  16
#define QUEUED  32

int state;              /* rw->state_ */
bit guard;              /* rw->guard_ */
byte queue[NT];         /* FIFO of thread ids, queue[0] = head */
byte qlen;
byte queued_writers;
byte granted[NT];       /* 0 waiting, 2 asleep, 1 the lock is ours */
bool is_writer[NT];
byte in_r, in_w;        /* threads inside, by kind */
byte wphase, rphase;    /* ghost: writer entries, reader phases begun */
byte rentries;          /* ghost: reader entries */

inline lock_guard() { atomic { guard == 0 -> guard = 1 } }
inline unlock_guard() { guard = 0 }

/* every change of state_ goes through here: the ghost phase counters
   follow the word itself (a reader phase begins when the reader count
   leaves 0, a writer phase when WRITER is set) */
inline set_state(n) {  /* (n) in parentheses: inline arguments are text */
    if :: (state & READERS) == 0 && ((n) & READERS) != 0 -> rphase++ :: else -> skip fi;
    if :: !(state & WRITER) && ((n) & WRITER) -> wphase++ :: else -> skip fi;
    state = (n)
}

inline cas(s, n, ok) {
    atomic { if :: state == s -> set_state(n); ok = 1 :: else -> s = state; ok = 0 fi }
}

inline enter_read() {
    atomic { in_r++; rentries++; assert(in_w == 0) }
}
inline enter_write() {
    atomic { in_w++; assert(in_w == 1 && in_r == 0) }
}

/* unlink queue position p (under guard) */
inline unlink_at(p) {
    if :: is_writer[queue[p]] -> queued_writers-- :: else -> skip fi;
    j = p;
    do
    :: j + 1 < qlen -> queue[j] = queue[j + 1]; j++
    :: else -> break
    od;
    qlen--
}

/* parconc__rw_wake: exchange granted to 1; the sleeper's wait ends */
inline wake(t) { granted[t] = 1 }

/* parconc__rw_grant, FAIR policy (under guard) */
inline grant(after_writer) {
    s2 = state;
    if
    :: !(s2 & WRITER) ->
#ifdef FRONT_ONLY
        all = 0; front = 1;                /* mutation: a leaving writer admits only the front readers */
#else
        all = after_writer; front = 1;
#endif
        i = 0;
        do
        :: i < qlen && (all || front) ->
            if
            :: is_writer[queue[i]] -> front = 0; i++
            :: else ->
                if
                :: (s2 & READERS) == READERS -> break
                :: else ->
                    t = queue[i];
                    unlink_at(i);
                    atomic { set_state(state + 1); s2 = state };
                    wake(t)
                fi
            fi
        :: else -> break
        od;
        if
        :: (s2 & READERS) == 0 ->
            i = 0;
            do
            :: i < qlen && !is_writer[queue[i]] -> i++
            :: else -> break
            od;
            if
            :: i < qlen -> t = queue[i]; unlink_at(i); atomic { set_state(state | WRITER) }; wake(t)
            :: else -> skip
            fi
        :: else -> skip
        fi
    :: else -> skip
    fi;
    if :: qlen == 0 -> atomic { set_state(state & ~QUEUED) } :: else -> skip fi
}

inline may_enter(s, writer, ok) {
    if
    :: writer -> ok = ((s & (WRITER | READERS)) == 0 && qlen == 0)
#ifdef READERS_BARGE
    :: else -> ok = !(s & WRITER)      /* mutation: newcomer readers pass queued writers */
#else
    :: else -> ok = (!(s & WRITER) && queued_writers == 0)
#endif
    fi
}

proctype thread(byte me; bool writer; bool timed; bool downgrader)
{
    int s, s2, n;
    byte round = 0, i, j, t, w0, r0, qw0, re0;
    bool ok, all, front, queued_me, took;

    is_writer[me] = writer;
    do
    :: round < ROUNDS ->
        queued_me = 0; took = 0;
        /* fast path */
        s = state;
        if
        :: writer -> if :: s == 0 -> cas(s, WRITER, ok) :: else -> ok = 0 fi
        :: else -> if :: !(s & (WRITER | QUEUED)) -> cas(s, s + 1, ok) :: else -> ok = 0 fi
        fi;
        if :: ok -> goto inside :: else -> skip fi;
        /* slow path */
        lock_guard();
        s = state;
        do
        :: true ->
            may_enter(s, writer, ok);
            if
            :: ok ->
                if :: writer -> n = s | WRITER :: else -> n = s + 1 fi;
                cas(s, n, ok);
                if :: ok -> unlock_guard(); goto inside :: else -> skip fi
            :: else ->
                if
                :: s & QUEUED -> break
                :: else -> cas(s, s | QUEUED, ok); if :: ok -> break :: else -> skip fi
                fi
            fi
        od;
        /* queue ourselves */
        granted[me] = 0;
        queue[qlen] = me; qlen++;
        if :: writer -> queued_writers++ :: else -> skip fi;
        w0 = wphase; r0 = rphase; re0 = rentries; qw0 = queued_writers - (writer -> 1 : 0);
        queued_me = 1;
        unlock_guard();
        /* wait for the grant: announce the sleep (0 -> 2), then sleep */
        do
        :: granted[me] == 1 -> break
        :: granted[me] != 1 ->
            atomic { if :: granted[me] == 0 -> granted[me] = 2 :: else -> skip fi };
            if
            :: granted[me] == 1 -> break
            :: granted[me] == 2 && timed ->        /* the deadline passed */
                lock_guard();
                if
                :: granted[me] == 1 -> unlock_guard(); break
                :: else ->
                    i = 0;
                    do :: queue[i] != me -> i++ :: else -> break od;
                    unlink_at(i);
                    grant(0);
                    unlock_guard();
                    goto next_round
                fi
            fi
        od;
inside:
        took = 1;
        if
        :: writer ->
            enter_write();
            if
            :: queued_me ->
                assert(wphase - w0 <= qw0 + 1);          /* the writers ahead, at most */
                assert(rphase - r0 <= qw0 + 1);          /* a reader phase before each */
                assert(rentries - re0 <= NR * (qw0 + 1)) /* and no phase keeps growing */
            :: else -> skip
            fi
        :: else ->
            enter_read();
            if :: queued_me -> assert(wphase - w0 <= 1) :: else -> skip fi
        fi;
        /* leave */
        if
        :: writer && downgrader && round == 0 ->      /* parconc_rwlock_downgrade */
            atomic { in_w--; in_r++ };
            s = WRITER;
            cas(s, 1, ok);
            if
            :: !ok ->
                lock_guard();
                s = state;
                do :: cas(s, (s & ~WRITER) + 1, ok); if :: ok -> break :: else -> skip fi od;
                grant(1);
                unlock_guard()
            :: else -> skip
            fi;
            goto read_unlock
        :: writer ->                                   /* parconc_rwlock_wrunlock */
            in_w--;
            s = WRITER;
            cas(s, 0, ok);
            if
            :: !ok ->
                lock_guard();
                atomic { set_state(state & ~WRITER) };
                grant(1);
                unlock_guard()
            :: else -> skip
            fi
        :: else ->
read_unlock:                                           /* parconc_rwlock_rdunlock */
            in_r--;
            s = state;
            do
            :: s & QUEUED ->
                lock_guard();
                atomic { set_state(state - 1); s = state };
                if :: (s & READERS) == 0 -> grant(0) :: else -> skip fi;
                unlock_guard();
                break
            :: else ->
                assert((s & READERS) > 0 && !(s & WRITER));
                cas(s, s - 1, ok);
                if :: ok -> break :: else -> skip fi
            od
        fi;
next_round:
        round++
    :: round == ROUNDS -> break
    od
}

init {
    byte k;
    atomic {
        for (k : 0 .. NR - 1) { run thread(k, 0, k == 0, 0) }
        for (k : 0 .. NW - 1) { run thread(NR + k, 1, 0, k == 0) }
    }
}
