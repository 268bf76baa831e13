/*
 * vm-bridge-probe: the Linux SDK's VM back end from a guest program, built statically
 * against the installed SDK (tests/vm-bridge).
 *   vm-bridge-probe writer NAME  open NAME as its writer: must be refused for a channel
 *                                the VM only reads (MOAT_LINUX_ERR_END)
 *   vm-bridge-probe wait NAME    moat_linux_event_wait for up to 5 s (1: it came)
 *   vm-bridge-probe send NAME    moat_linux_event_send by name (vmmcall)
 * Prints "vm-bridge-probe: OP NAME -> RESULT (TEXT)"; exit status 0 when RESULT is 0.
 */
#include <stdio.h>
#include <string.h>

#include <moat-linux.h>

int main(int argc, char **argv)
{
    struct moat_linux_channel c;
    struct channel_writer w;
    char msg[1024];
    int err;

    if (argc != 3) {
        fprintf(stderr, "usage: vm-bridge-probe writer|wait|send NAME\n");
        return 2;
    }
    if (strcmp(argv[1], "writer") == 0) {
        err = moat_linux_writer(&c, &w, argv[2], 0, 0, 0, moat_linux_epoch());
        (void)moat_linux_message(&c, err, msg, sizeof(msg));
    } else if (strcmp(argv[1], "wait") == 0) {
        err = moat_linux_event_wait(argv[2], 5000);
        (void)snprintf(msg, sizeof(msg), "%s",
                       err == 1 ? "it came" : err == 0 ? "timed out" : moat_linux_strerror(err));
    } else if (strcmp(argv[1], "send") == 0) {
        err = moat_linux_event_send(argv[2]);
        (void)snprintf(msg, sizeof(msg), "%s", err == 0 ? "sent" : moat_linux_strerror(err));
    } else {
        fprintf(stderr, "usage: vm-bridge-probe writer|wait|send NAME\n");
        return 2;
    }
    printf("vm-bridge-probe: %s %s -> %d (%s)\n", argv[1], argv[2], err, msg);
    fflush(stdout);
    return err == 0 || (err == 1 && strcmp(argv[1], "wait") == 0) ? 0 : 1;
}
