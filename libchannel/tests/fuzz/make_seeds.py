#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_reader (seeds/): a few honest channels and the
operation sequences that drive a reader through every result, in the input layout
documented at the top of fuzz_reader.c. Run it again after changing that layout."""
import os
import struct

MARKER = 0x487312B6B79A9B6D
PROTOCOL = 0x66757A7A2D726478
HERE = os.path.dirname(os.path.abspath(__file__))

READ, BATCH, HAS_DATA, DRAIN, FIELD, SLOT_BYTE, WRITER_INIT, WRITE = 0, 3, 4, 5, 6, 7, 8, 9
EPOCH, WSC, WC = 1, 6, 7  # header field numbers


def header(epoch, size, elements, wsc, wc, protocol=PROTOCOL, transport=MARKER):
    return struct.pack('<8Q', transport, epoch, protocol, size, elements, 0, wsc, wc)


def seed(size, slots, flags, image, ops):
    return bytes([size - 1, slots - 1, flags]) + struct.pack('<H', len(image)) + image + bytes(ops)


def slots_image(size, slots, first=0):
    return b''.join(bytes([(first + i) & 0xFF]) * size for i in range(slots))


def field(n, value):
    return [FIELD, n] + list(struct.pack('<Q', value))


def honest_writes(count, size):
    # WRITER_INIT with bits 0 and 1 set: the reader's element size and protocol.
    ops = [WRITER_INIT, 0x03, 7]
    for i in range(count):
        ops += [WRITE, 0] + [i & 0xFF] * size
    return ops


SEEDS = {
    # A channel already holding three elements: sync, three successes, no data.
    'three-elements': seed(16, 4, 0, header(1, 16, 4, 3, 3) + slots_image(16, 4),
                           [READ] * 5 + [HAS_DATA]),
    # Lapped: wc far ahead of the reader.
    'overrun': seed(16, 4, 0, header(1, 16, 4, 3, 3) + slots_image(16, 4),
                    [READ] + field(WSC, 11) + field(WC, 11) + [READ, READ, BATCH, 3]),
    # Epoch changes between reads, then inactive.
    'epoch-change': seed(8, 8, 4, header(5, 8, 8, 2, 2) + slots_image(8, 8),
                         [READ, READ] + field(EPOCH, 6) + [READ, READ] + field(EPOCH, 0) + [READ]),
    # A writer initialised by the fuzzer, odd element size, batch reads.
    'writer-odd-size': seed(13, 5, 1, b'', honest_writes(7, 13) + [READ, BATCH, 15, BATCH, 2]),
    # Counters about to wrap past 2^64.
    'near-2-64': seed(24, 5, 0, header(9, 24, 5, 2**64 - 2, 2**64 - 2) + slots_image(24, 5),
                      [READ, DRAIN] + field(WSC, 3) + field(WC, 3) + [READ, READ, READ]),
    # Header claims more elements than the mapping holds, then a bad size.
    'incompatible': seed(32, 3, 2, header(1, 32, 4, 1, 1), [READ] + field(4, 32) + field(EPOCH, 2)
                         + [READ, HAS_DATA]),
    # A reader expecting another protocol.
    'wrong-protocol': seed(16, 2, 8, header(1, 16, 2, 1, 1), [READ, READ]),
}


def main():
    out = os.path.join(HERE, 'seeds')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
