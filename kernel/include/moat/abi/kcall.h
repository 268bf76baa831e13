/*
 * Kernel call numbers and results: the ABI between subjects and the kernel.
 * `syscall` with the number in rax, integer arguments in rdi and rsi, result in rax.
 * Kernel calls take integers only; the kernel never dereferences a subject pointer.
 */
#ifndef MOAT_ABI_KCALL_H
#define MOAT_ABI_KCALL_H

#define MOAT_KCALL_YIELD      0 /* give up the rest of the current minor frame */
#define MOAT_KCALL_EVENT_SEND 1 /* rdi = sender-local event id */
#define MOAT_KCALL_EVENT_WAIT 2 /* -> lowest pending event id; blocks for the frame if none */
#define MOAT_KCALL_EVENT_POLL 3 /* -> lowest pending event id, or MOAT_ERR_NONE_PENDING */
#define MOAT_KCALL_TIMER_SET  4 /* rdi = TSC deadline (0 cancels), rsi = own event id to raise */
#define MOAT_KCALL_EXIT       5 /* rdi = status; crt0 calls it when main returns: the kernel
                                   audits it and applies the subject's fault action */

/* Results (returned in rax as a signed 64-bit value). */
#define MOAT_OK               0
#define MOAT_ERR_NO_CALL      (-1) /* unknown call number */
#define MOAT_ERR_BAD_ID       (-2) /* event id outside what the policy gives the caller */
#define MOAT_ERR_NONE_PENDING (-3) /* event_poll: nothing pending */

/* Bits of the pending-event bitmap: a subject has at most this many events. */
#define MOAT_MAX_EVENTS 64

#endif /* MOAT_ABI_KCALL_H */
