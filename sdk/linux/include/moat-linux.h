/*
 * The Linux half of the Moat SDK: a Linux program opens a channel by the name the policy
 * gives it and gets libchannel's reader or writer over it, wherever the channel's memory
 * is. How the program is started chooses the back end (docs/sdk.md, "Linux programs"):
 *
 *  - MOAT_CHANNELS="NAME=FILE,NAME=FILE": channels named one by one, each the host file
 *    that backs it. `moat-run --share NAME=FILE` makes a channel of a QEMU-run system
 *    such a file (the policy places it with memory="device"), so a program on the host
 *    and a native subject inside Moat share it. These files are never created here: a
 *    file QEMU does not share would be a channel nobody else sees.
 *  - MOAT_CHANNEL_DIR=DIR: plain channel files DIR/NAME between Linux programs; a writer
 *    creates a missing one at the size of its ring (create-or-open, libchannel.h).
 *  - Inside a Linux VM subject: the channels of the VM's sinfo page (the description
 *    moat-polc places in the VM's reserved guest-physical memory; its address is
 *    "moat.sinfo=0x..." on the kernel command line, /proc/cmdline, or MOAT_SINFO=0x...
 *    in the environment), each mapped through /dev/mem at its guest-physical address:
 *    a reader's read-only (the nested page tables map it read-only anyway), the writer's
 *    read-write. Checked before the two above; a name the sinfo page does not list falls
 *    through to them. (MOAT_VM_MEMFILE=FILE stands in for /dev/mem, for tests.)
 *
 * A name in MOAT_CHANNELS wins over MOAT_CHANNEL_DIR. Names are policy names: a letter
 * or '_', then letters, digits, '_', '-', '.'; at most 63 characters.
 *
 * Events: inside a VM, moat_linux_event_send() sends an event the policy grants the VM
 * (vmmcall, from ring 3), and moat_linux_event_wait() waits for an incoming event the
 * policy gives no vector (vmmcall MOAT_KCALL_EVENT_POLL; one with a vector is injected as
 * an interrupt, which only the guest kernel sees). The host and file back ends have no
 * doorbell into the system at all. Those calls say so with MOAT_LINUX_ERR_NO_EVENTS and
 * never pretend; moat_linux_wait() polls a reader instead.
 */
#ifndef MOAT_LINUX_H
#define MOAT_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include <libchannel.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOAT_LINUX_VERSION_MAJOR 1
#define MOAT_LINUX_VERSION_MINOR 1

enum moat_linux_backend {
    MOAT_LINUX_BACKEND_NONE = 0,
    MOAT_LINUX_BACKEND_SHARED = 1, /* MOAT_CHANNELS: a file named for this channel */
    MOAT_LINUX_BACKEND_FILES = 2,  /* MOAT_CHANNEL_DIR: plain files DIR/NAME */
    MOAT_LINUX_BACKEND_VM = 3,     /* the VM's sinfo page: guest-physical memory, /dev/mem */
};

/* Errors, after libchannel's CHANNEL_ERR_* (which the open calls also return). */
#define MOAT_LINUX_ERR_NAME       (-32) /* not a policy name */
#define MOAT_LINUX_ERR_NO_BACKEND (-33) /* neither MOAT_CHANNELS nor MOAT_CHANNEL_DIR names it */
#define MOAT_LINUX_ERR_CONFIG     (-34) /* MOAT_CHANNELS is not NAME=FILE[,NAME=FILE...] */
#define MOAT_LINUX_ERR_NO_EVENTS  (-35) /* this back end cannot send or deliver events */
#define MOAT_LINUX_ERR_SINFO      (-36) /* moat.sinfo=/MOAT_SINFO is malformed, or no sinfo page there */
#define MOAT_LINUX_ERR_END        (-37) /* VM: a writer of a channel the VM only reads */
#define MOAT_LINUX_ERR_NO_EVENT   (-38) /* VM: the policy grants this VM no such event */

#define MOAT_LINUX_NAME_MAX 64u   /* a name and its NUL */
#define MOAT_LINUX_PATH_MAX 4096u /* a file path and its NUL */

/* One open channel: its back end, file and mapping. Caller-allocated. */
struct moat_linux_channel {
    enum moat_linux_backend backend;
    char name[MOAT_LINUX_NAME_MAX];
    char path[MOAT_LINUX_PATH_MAX];
    struct channel_file file; /* the mapping: file.mem, file.mem_size, file.elements ... */
    /* MOAT_LINUX_BACKEND_VM: the channel as the sinfo page describes it (path "/dev/mem") */
    uint64_t vm_address; /* guest-physical */
    uint64_t vm_size;
    uint64_t vm_protocol;
    uint64_t vm_element_size;
    int vm_writer; /* this VM is the channel's writer */
};

/*
 * Where the environment puts channel name: fills c->backend, c->name, c->path without
 * opening anything. Returns 0, MOAT_LINUX_ERR_NAME, _NO_BACKEND or _CONFIG.
 */
int moat_linux_locate(struct moat_linux_channel *c, const char *name);

/*
 * Be the writer of channel name: locate it, open it (a shared file must exist, at the
 * size the policy gives; a plain file is created when missing, with elements slots),
 * check its size and header (libchannel's channel_file_writer) and initialise w over it
 * with the nonzero epoch (moat_linux_epoch() gives a fresh one). elements 0: any
 * existing file size that holds one element (always so for shared files: the policy
 * decides the size). Returns 0 or an error; on failure nothing stays mapped.
 */
int moat_linux_writer(struct moat_linux_channel *c, struct channel_writer *w, const char *name,
                      uint64_t protocol, size_t element_size, size_t elements, uint64_t epoch);

/*
 * Be a reader of channel name (PROT_READ mapping): the file must exist; protocol and
 * element size 0 take them from an initialised header. Returns 0 or an error.
 */
int moat_linux_reader(struct moat_linux_channel *c, struct channel_reader *r, const char *name,
                      uint64_t protocol, size_t element_size);

/* Unmap an open channel. Returns 0 or a CHANNEL_ERR_* value. */
int moat_linux_close(struct moat_linux_channel *c);

/*
 * Wait until r has something to read (data or a state change), polling every
 * millisecond, for at most timeout_ms (0: just look). Returns 1 when it has, 0 on
 * timeout. Channel memory here has no notification, so this is how a Linux program waits.
 */
int moat_linux_wait(const struct channel_reader *r, unsigned timeout_ms);

/*
 * Moat events by name. Inside a VM, event_send sends the VM's granted outgoing event
 * (0, MOAT_LINUX_ERR_NO_EVENT when the sinfo page grants none of that name, or the
 * kernel's negative MOAT_ERR_* result); event_wait waits up to timeout_ms (polling each
 * millisecond; 0: just look) for its incoming event and returns 1 when it came, 0 on
 * timeout, MOAT_LINUX_ERR_NO_EVENT when it has none of that name, MOAT_LINUX_ERR_NO_EVENTS
 * when the policy gives it a vector. Events one call took while waiting for another are
 * kept for later calls of this process: one program per VM should wait for events.
 * Otherwise: MOAT_LINUX_ERR_NO_EVENTS (docs/sdk.md says why and what would be needed).
 */
int moat_linux_event_send(const char *event);
int moat_linux_event_wait(const char *event, unsigned timeout_ms);

/* A nonzero epoch that differs on every call and every run (clock-based). */
uint64_t moat_linux_epoch(void);

/* A fixed text for any error above or CHANNEL_ERR_* value. */
const char *moat_linux_strerror(int err);

/*
 * One line for the failure err of a call on c: the channel's name, back end and file,
 * and what went wrong with the numbers. Always NUL-terminated when size > 0. Returns buf.
 */
char *moat_linux_message(const struct moat_linux_channel *c, int err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_LINUX_H */
