/*
 * The only atomics in the kernel core, for the few words CPUs share (docs/architecture.md,
 * "Shared data between CPUs"): every access is sequentially consistent, so the
 * store-then-load handshakes (a notifier sets a pending bit then reads the target's state;
 * the target stores WAITING then reads its pending bits) cannot both miss each other.
 * One small header so that an analyser sees plain accesses behind a few names.
 */
#ifndef MOAT_CORE_ATOMIC_H
#define MOAT_CORE_ATOMIC_H

#define ATOMIC_LOAD(p)          __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define ATOMIC_STORE(p, v)      __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_EXCHANGE(p, v)   __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_FETCH_ADD(p, v)  __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_FETCH_OR(p, v)   __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_FETCH_AND(p, v)  __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
/* If *p == *expected, *p = v and true; else *expected = *p and false. */
#define ATOMIC_CAS(p, expected, v)                                                         \
    __atomic_compare_exchange_n((p), (expected), (v), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

#endif /* MOAT_CORE_ATOMIC_H */
