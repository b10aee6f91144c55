/* rwlock.pml - Spin model of parconc_rwlock (parconc.h, "---- reader-writer
   lock"), FAIR policy: the counted lock (reader arrivals in rin, departures
   in rout, the writer's phase bits and wtarget), the sleeps on rin and rout
   with their RSLEEP / WSLEEP bits, a blocking reader (admitted when the
   bits change or wtarget says it was counted), a timed reader (counts
   itself in with a CAS that finds no writer bits; may give up uncounted),
   a timed writer that may give up after announcing, and the reader-bias table (one slot per reader here, the
   writer's two switch-offs, the restore on giving up, the scan).

   Checked for NR readers and NW writers, each ROUNDS acquisitions:
   - exclusion: a writer is alone, readers share (assertions inside);
   - no lost wake-up: every sleeper is woken (Spin's invalid-end-state
     check: every run finishes).

   Mutations that must fail (make model runs them): -DNO_SECOND_OFF (the
   writer switches the bias off only as it announces itself),
   -DNO_RESTORE (a writer that gives up leaves the bias off while table
   readers hold), -DNO_WWAIT_WAKE (the writer ending its phase does not
   wake the queued writer), -DNO_VACATE_WAKE (a reader that clears its slot does not
   wake the writer sleeping on the table), -DNO_COUNTED (a blocking reader ignores wtarget: when
   writers that gave up make the phase bit repeat, it waits for a writer
   that waits for it).

   wmutex is an abstract lock (the mutex has its own model).  A futex
   sleep "wait while word == v" is a guarded step that blocks until the
   word differs from v, as the kernel's check-and-sleep guarantees; readers
   sleep on rseq (a waker bumps it), the writer on rout.  -DRIN_FUTEX puts
   the readers' sleep back on rin itself: rin can return to the value a
   reader saw, and the model then finds the lost wake-up.
   Counts are small integers: arrivals and departures never wrap here. */

#ifndef NR
#define NR 2
#endif
#ifndef NW
#define NW 2
#endif
#ifndef ROUNDS
#define ROUNDS 1
#endif

#define PRESENT 1
#define PHASE   2
#define WBITS   3
#define RSLEEP  4
#define ONE     128    /* arrivals / departures counted from bit 7 */
#define WSLEEP  1
#define WSTARVE 32     /* flag bits below the count, renumbered for the model */
#define WWAIT   64

int rin, rout;         /* rw->rin_, rw->rout_ */
byte rseq;             /* rw->rseq_: sleeping readers' futex word */
byte wtarget;          /* rw->wtarget_ (a count) */
bit wmutex;            /* rw->wmutex_ */
byte wseq;             /* rw->wseq_: the queued writer's futex word */
bit bias;              /* rw->bias_ != NULL */
bit slot[NR];          /* reader i's table slot names the lock */
byte bseq;             /* rw->bseq_ without its flag */
bit bflag;             /* bit 0 of rw->bseq_: a writer sleeps on the table */
byte in_r, in_w;       /* ghost: threads inside */

/* a slot was cleared: parconc__rw_slot_vacated when the bias is off */
inline vacated() {
#ifndef NO_VACATE_WAKE
    atomic { if :: !bias && bflag -> bflag = 0; bseq++ :: else -> skip fi }
#else
    skip
#endif
}

inline enter_read()  { atomic { in_r++; assert(in_w == 0) } }
inline leave_read()  { in_r-- }
inline enter_write() { atomic { in_w++; assert(in_w == 1 && in_r == 0) } }
inline leave_write() { in_w-- }

/* reader departure: parconc__rw_depart */
inline depart() {
    atomic {
        old = rout; rout = rout + ONE;
        if :: (old & WSLEEP) && (old / ONE) + 1 == wtarget -> skip /* wake: the word changed */
           :: else -> skip fi
    }
}

/* counted read lock: parconc__rw_read_raw + parconc__rw_read_wait
   (blocking: fetch_add, then wait until the bits change or the writer in
   its phase counted it) and parconc__rw_read_timed (timed: a CAS that
   finds no writer bits, waiting uncounted; it may give up) */
inline read_counted(timed) {
    if
    :: !timed ->
        atomic { in = rin; rin = rin + ONE };
        got = 1;
        if
        :: (in & PRESENT) != 0 ->
            do
            :: s = rseq;
               atomic { v = rin; rin = rin | RSLEEP };
#ifdef NO_COUNTED
               if :: (v & WBITS) != (in & WBITS) -> break
#else
               if :: (v & WBITS) != (in & WBITS) || (in / ONE) < wtarget -> break
#endif
#ifdef RIN_FUTEX
                  :: else -> atomic { v = v | RSLEEP; rin != v }
#else
                  :: else -> rseq != s   /* futex on rseq: woken once it moved */
#endif
               fi
            od
        :: else -> skip
        fi
    :: timed ->
        got = 0;
        do
        :: got != 0 -> break
        :: else ->
            atomic {
                if :: (rin & PRESENT) == 0 -> rin = rin + ONE; got = 1
                   :: else -> skip fi
            };
            if
            :: got == 0 -> got = 2               /* deadline: give up, nothing to undo */
            :: got == 0 ->                       /* sleep while a writer is in its phase */
                s = rseq;
                atomic { v = rin; rin = rin | RSLEEP };
                if :: (v & PRESENT) != 0 -> rseq != s :: else -> skip fi
            :: else -> skip
            fi
        od
    fi
}

proctype reader(byte id; bit timed)
{
    int in, v, old;
    byte got, r, s;
    for (r : 1 .. ROUNDS) {
        /* reader-bias path: parconc__rw_bias_read */
        if
        :: bias -> atomic { slot[id] = 1 };
           if :: bias -> got = 3 :: else -> slot[id] = 0; vacated(); got = 0 fi
        :: else -> got = 0
        fi;
        if
        :: got == 3 -> enter_read(); leave_read(); slot[id] = 0; vacated()
        :: else ->
            read_counted(timed);
            if
            :: got == 1 ->
                enter_read();
                /* parconc__rw_bias_maybe_on: only while holding the counted lock */
                if :: !bias -> bias = 1 :: true -> skip fi;
                leave_read();
                depart()
            :: else -> skip   /* gave up */
            fi
        fi
    }
}

/* parconc__rw_drain: wait until departures reach the target */
inline drain(target, timed) {
    ok = 1;
    do
    :: (rout / ONE) == target -> break
    :: else ->
        if
        :: timed -> ok = 0; break      /* deadline */
        :: else ->
            atomic { v = rout; rout = rout | WSLEEP };
            if :: (v / ONE) == target -> break
               :: else -> atomic { v = v | WSLEEP; rout != v }
            fi
        fi
    od;
    rout = rout & ~WSLEEP
}

proctype writer(bit timed)
{
    int in, v, old;
    byte r, i, s, got;
    bit ok, table, again;
    for (r : 1 .. ROUNDS) {
        /* parconc__rw_try_announce: one CAS sets PRESENT and flips PHASE;
           a newcomer does not pass a starving queued writer */
        atomic {
            if
            :: !(rin & PRESENT) && !(rin & WSTARVE) ->
                in = rin; rin = (rin & ~PHASE) | PRESENT | ((rin & PHASE) ^ PHASE); got = 1
            :: else -> got = 0
            fi
        };
        ok = 1;
        if
        :: got == 0 ->  /* parconc__rw_queued_turn, holding wmutex */
            atomic { wmutex == 0 -> wmutex = 1 };
            do
            :: atomic {
                   if
                   :: !(rin & PRESENT) ->
                       in = rin; rin = (rin & ~(PHASE | WSTARVE)) | PRESENT | ((rin & PHASE) ^ PHASE); got = 1
                   :: else -> skip
                   fi
               };
               if
               :: got -> break
               :: else ->
                   if :: rin = rin | WSTARVE :: skip fi;   /* ~1 ms passed, or not */
                   if
                   :: timed -> rin = rin & ~WSTARVE; ok = 0; break  /* deadline */
                   :: else ->
                       s = wseq;
                       atomic { v = rin; rin = rin | WWAIT };
                       if :: (v & PRESENT) -> wseq != s :: else -> skip fi
                   fi
               fi
            od;
            wmutex = 0
        :: else -> skip
        fi;
        if :: !ok -> goto round_done :: else -> skip fi;
        wtarget = in / ONE;   /* after the CAS: writers race for it */
        atomic { table = bias; bias = 0 };              /* first switch-off */
        drain(in / ONE, timed);
#ifndef NO_SECOND_OFF
        if :: ok -> atomic { again = bias; bias = 0 }; if :: again -> table = 1 :: else -> skip fi
           :: else -> skip fi;
#endif
        /* the scan: wait for every slot (a timed writer may give up) */
        if
        :: ok && table ->
            i = 0;
            do
            :: i < NR && slot[i] == 0 -> i++
            :: i < NR && slot[i] != 0 && timed -> ok = 0; break
            :: i < NR && slot[i] != 0 && !timed ->  /* sleep on bseq: flag, re-check, wait */
                s = bseq; bflag = 1;
                if :: slot[i] == 0 -> skip :: else -> bseq != s fi
            :: i == NR -> break
            od
        :: else -> skip
        fi;
        if
        :: ok -> enter_write(); leave_write()
        :: else ->
#ifndef NO_RESTORE
            if :: table -> bias = 1 :: else -> skip fi;
#endif
            skip
        fi;
        /* parconc__rw_end_phase: PRESENT off, PHASE stays; wake readers and
           the queued writer */
        atomic { old = rin; rin = rin & ~(PRESENT | RSLEEP | WWAIT) };
        if :: old & RSLEEP -> rseq++ :: else -> skip fi;
#ifndef NO_WWAIT_WAKE
        if :: old & WWAIT -> wseq++ :: else -> skip fi;
#endif
round_done: skip
    }
}

init {
    byte i;
    atomic {
        bias = 1; /* start reader-biased: the table paths from the first step */
        for (i : 0 .. NR - 1) { run reader(i, i == 0) }
        for (i : 0 .. NW - 1) { run writer(i == 0) }
    }
}
