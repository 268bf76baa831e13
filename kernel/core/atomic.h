/*
 * The only atomics in the kernel core, for the few words CPUs share (docs/architecture.md,
 * "Shared data between CPUs"): every access is sequentially consistent, so the
 * store-then-load handshakes (a notifier sets a pending bit then reads the target's state;
 * the target stores WAITING then reads its pending bits) cannot both miss each other.
 * One small header so that an analyser sees plain accesses behind a few names.
 */
#ifndef MOAT_CORE_ATOMIC_H
#define MOAT_CORE_ATOMIC_H

#ifdef __FRAMAC__
/* For the analyser: the same values, as plain sequential accesses. */
#define ATOMIC_LOAD(p)          (*(p))
#define ATOMIC_STORE(p, v)      ((void)(*(p) = (v)))
#define ATOMIC_EXCHANGE(p, v)   ({ __typeof__(*(p)) old_ = *(p); *(p) = (v); old_; })
#define ATOMIC_FETCH_ADD(p, v)  ({ __typeof__(*(p)) old_ = *(p); *(p) = old_ + (v); old_; })
#define ATOMIC_FETCH_OR(p, v)   ({ __typeof__(*(p)) old_ = *(p); *(p) = old_ | (v); old_; })
#define ATOMIC_FETCH_AND(p, v)  ({ __typeof__(*(p)) old_ = *(p); *(p) = old_ & (v); old_; })
#define ATOMIC_CAS(p, expected, v)                                                         \
    (*(p) == *(expected) ? (*(p) = (v), true) : (*(expected) = *(p), false))
#else
#define ATOMIC_LOAD(p)          __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define ATOMIC_STORE(p, v)      __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_EXCHANGE(p, v)   __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_FETCH_ADD(p, v)  __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_FETCH_OR(p, v)   __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_FETCH_AND(p, v)  __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
/* If *p == *expected, *p = v and true; else *expected = *p and false. */
#define ATOMIC_CAS(p, expected, v)                                                         \
    __atomic_compare_exchange_n((p), (expected), (v), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#endif

#endif /* MOAT_CORE_ATOMIC_H */
