/*
 * moat-vm-call: a Moat kernel call from inside a VM (tests/vm).
 *   moat-vm-call send ID     send the VM's event ID (its send id, as a native subject's
 *                            event_send); exit status 0 when the kernel says MOAT_OK
 *   moat-vm-call yield       give up the rest of the frame
 *   moat-vm-call raw RAX RDI any call number and argument; prints the result
 */
#include "guest.h"

#define KCALL_YIELD      0u
#define KCALL_EVENT_SEND 1u

int main(int argc, char **argv)
{
    uint64_t number, arg = 0;
    int ok = 1, ok2 = 1;
    if (argc == 3 && g_streq(argv[1], "send")) {
        number = KCALL_EVENT_SEND;
        arg = g_parse(argv[2], &ok);
    } else if (argc == 2 && g_streq(argv[1], "yield")) {
        number = KCALL_YIELD;
    } else if (argc == 4 && g_streq(argv[1], "raw")) {
        number = g_parse(argv[2], &ok);
        arg = g_parse(argv[3], &ok2);
    } else {
        g_puts("usage: moat-vm-call send ID | yield | raw RAX RDI\n");
        return 2;
    }
    if (!ok || !ok2) {
        g_puts("moat-vm-call: numbers are decimal or 0x-hexadecimal\n");
        return 2;
    }
    int64_t ret = moat_vmmcall(number, arg);
    g_puts("moat-vm-call: ");
    g_puts(argv[1]);
    g_puts(" -> ");
    g_putdec(ret);
    g_puts("\n");
    return ret == 0 ? 0 : 1;
}
