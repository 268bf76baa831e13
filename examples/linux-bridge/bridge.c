/*
 * bridge: the native subject of linux-bridge. It reads the stream a Linux program on the
 * host writes into host.up, checking every element and its lost counter, and streams
 * BRIDGE_DOWN_COUNT elements of its own into host.down for the host to check. Both
 * channels live in device memory, a host file that moat-run --share maps into the
 * machine. When it has its stream's last element and has sent its own, it logs what it
 * saw and powers the system off.
 */
#include <moat/log.h>
#include <moat/sinfo.h>
#include <moat/subject.h>

#include "bridge_common.h"

/* Elements sent per pass, so the host sees a stream rather than one burst. */
#define BRIDGE_DOWN_PER_PASS 16u

int main(void)
{
    struct channel_reader up;
    struct channel_writer down;
    struct bridge_element e;
    enum channel_result res;
    if (moat_channel_reader(BRIDGE_UP, &up) != 0) {
        moat_log("bridge: channels missing");
        return 1;
    }
    /* Synchronise to the host's stream first: the host starts writing only once
     * host.down is active, so from then on every element is received or counted lost. */
    moat_log("bridge: waiting for the host on %s", BRIDGE_UP);
    while ((res = channel_read(&up, &e)) == CHANNEL_INACTIVE) {
        moat_yield();
    }
    if (res != CHANNEL_EPOCH_CHANGED ||
        moat_channel_writer(BRIDGE_DOWN, &down, moat_rdtsc() | 1u) != 0) {
        moat_log("bridge: %s does not match, or %s is missing", BRIDGE_UP, BRIDGE_DOWN);
        return 1;
    }
    int poweroff = moat_event("poweroff");
    struct bridge_tally tally = {0};
    uint64_t overruns = 0;
    uint64_t sent = 0;
    moat_log("bridge: streaming %u elements to the host, reading its stream", BRIDGE_DOWN_COUNT);
    while (tally.total == 0u || sent < BRIDGE_DOWN_COUNT) {
        while ((res = channel_read(&up, &e)) != CHANNEL_NO_DATA && res != CHANNEL_INACTIVE) {
            if (res == CHANNEL_SUCCESS) {
                bridge_count(&tally, &e, channel_lost(&up));
            } else if (res == CHANNEL_OVERRUN) {
                overruns++;
            } else if (res == CHANNEL_INCOMPATIBLE) {
                moat_log("bridge: host.up does not match (protocol or element size)");
                break;
            }
        }
        for (unsigned i = 0; i < BRIDGE_DOWN_PER_PASS && sent < BRIDGE_DOWN_COUNT; i++) {
            bridge_make(&e, sent, sent + 1u == BRIDGE_DOWN_COUNT);
            channel_write(&down, &e);
            sent++;
        }
        moat_yield();
    }
    uint64_t lost = channel_lost(&up);
    moat_log("bridge: from the host: received %llu of %llu, lost %llu in %llu overrun(s), "
             "joined at %llu, corrupt %llu, miscounted %llu",
             (unsigned long long)tally.received, (unsigned long long)tally.total,
             (unsigned long long)lost, (unsigned long long)overruns,
             (unsigned long long)tally.joined_at, (unsigned long long)tally.corrupt,
             (unsigned long long)tally.miscounted);
    moat_log("bridge: to the host: sent %llu", (unsigned long long)sent);
    moat_log("%s", bridge_tally_ok(&tally, lost) ? "bridge: every element checks"
                                                 : "bridge: MISCOUNTED or corrupt elements");
    moat_event_send((unsigned)poweroff);
    /* In the VM case (tests/vm-bridge) it then keeps telling the guest it is done. */
    int hello = moat_event("hello");
    for (;;) {
        if (hello >= 0) {
            moat_event_send((unsigned)hello);
            moat_yield();
        } else {
            (void)moat_event_wait();
        }
    }
}
