/*
 * Convenience on top of libchannel for subject main loops. A subject usually wants "the
 * next element, if there is one" and treats the writer's restarts and its own overruns
 * as things to pass over (channel_lost() still counts what an overrun skipped).
 */
#ifndef MOAT_CHANNEL_H
#define MOAT_CHANNEL_H

#include <stdbool.h>

#include <libchannel.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Read the next element into element: true with one copied, false when nothing is
 * readable now (no data, no active writer, or a header the reader refuses). Passes over
 * CHANNEL_EPOCH_CHANGED and CHANNEL_OVERRUN, a bounded number of times, so even a
 * writer that reinitialises without end cannot keep the caller here.
 */
bool moat_channel_next(struct channel_reader *r, void *element);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_CHANNEL_H */
