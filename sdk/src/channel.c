/*
 * moat_channel_next(): the read loop every subject would otherwise write itself.
 */
#include <moat/channel.h>

/* Enough for an epoch change followed by an overrun, and a spare. */
#define CHANNEL_NEXT_TRIES 4u

bool moat_channel_next(struct channel_reader *r, void *element)
{
    for (unsigned i = 0; i < CHANNEL_NEXT_TRIES; i++) {
        enum channel_result res = channel_read(r, element);
        if (res == CHANNEL_SUCCESS) {
            return true;
        }
        if (res != CHANNEL_EPOCH_CHANGED && res != CHANNEL_OVERRUN) {
            return false;
        }
    }
    return false;
}
