#!/bin/sh
# /init of the vm-bridge guest (vm-bridge.expect checks these lines, which reach the log
# server through the VM's UART under [linux]). Boot 0: the linux-bridge exchange with the
# native subject, channels by name (libmoat-linux's VM back end), channel-cat by name,
# then a ring-3 write to host.down, which this VM only reads (the nested page tables
# stop it: audit npf, restart). Boot 1: the library refuses the writer end of host.down,
# channel-put writes host.up by name and channel-stat reads it back, and the library
# sends the granted event "off" (poweroff) by name. bridge-state (guest-physical
# 0xc0000000, written by this VM) survives the restart and counts the boots.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 1 > /proc/sys/kernel/printk
STATE=0xc0000000 # bridge-state
DOWN=0xc0010000  # host.down: the native subject writes it, this VM only reads it
step=$(($(devmem $STATE 32)))
devmem $STATE 32 $((step + 1))
echo "vm-bridge: boot $step, $(grep -o 'moat.sinfo=0x[0-9a-f]*' /proc/cmdline)"
case $step in
0)
    linux-bridge-host --timeout 90
    echo "vm-bridge: linux-bridge-host exit $?"
    line=$(channel-cat -n 1 host.down)
    echo "vm-bridge: channel-cat exit $?, host.down's oldest element: ${line%${line#????????????????}}"
    echo "vm-bridge: probe ro-write: writing host.down at $DOWN"
    sleep 1 # the console driver polls: let it pass the lines above to the UART first
    devmem $DOWN 32 0x5a5a5a5a
    echo "vm-bridge: FAIL: wrote the read-only channel, now $(devmem $DOWN 32)"
    ;;
*)
    vm-bridge-probe writer host.down
    vm-bridge-probe wait off
    vm-bridge-probe wait hello
    vm-bridge-probe send nosuch
    z=0000000000000000
    echo "$z$z$z$z$z$z$z$z" | channel-put -x host.up
    echo "vm-bridge: channel-put exit $?"
    channel-stat host.up
    echo "vm-bridge: channel-stat exit $?"
    echo "vm-bridge: sending off"
    sleep 1
    vm-bridge-probe send off
    echo "vm-bridge: FAIL: still running after the poweroff event"
    ;;
esac
while :; do sleep 1; done
