#!/bin/sh
# /init of the vm-contain guests (tests/vm/vm-contain*.expect): as root, one attack per
# boot. The attacks that end the VM (its fault action restarts it from its pristine
# image) are counted in the first word of the channel "contain-state", which the VM
# writes at guest-physical 0xc0000000 and which survives its restarts. Which attacks:
# vmcontain=user (ring 3) or vmcontain=ring0 on the kernel command line, which Linux
# passes to /init as an environment variable.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Kernel messages below KERN_ALERT only from here on: they would cut into the lines below.
echo 1 > /proc/sys/kernel/printk
STATE=0xc0000000     # channel contain-state, written by this VM
RO=0xc0010000        # channel ro, this VM only reads it
UNGRANTED=0xc0100000 # nothing: no RAM, no channel, no memory of this VM
step=$(($(devmem $STATE 32)))
devmem $STATE 32 $((step + 1))
echo "vm-contain: $vmcontain boot $step"
case $vmcontain:$step in
user:0)
    moat-vm-probe ports
    moat-vm-probe fuzz 20000 12345
    moat-vm-probe svm3
    echo "vm-contain: probe devmem: reading $UNGRANTED"
    sleep 1 # the console driver polls: let it pass the lines above to the UART first
    devmem $UNGRANTED 32
    echo "vm-contain: FAIL: read memory beyond the grants"
    ;;
user:1)
    echo "vm-contain: ro channel reads $(devmem $RO 32)"
    echo "vm-contain: probe ro-write: writing $RO"
    sleep 1
    devmem $RO 32 0x5a5a5a5a
    echo "vm-contain: FAIL: wrote the read-only channel, now $(devmem $RO 32)"
    ;;
ring0:0)
    echo "vm-contain: probe ring0: kexec"
    sleep 1
    moat-vm-probe kexec /bin/ring0.bin
    echo "vm-contain: FAIL: kexec returned"
    ;;
ring0:1)
    echo "vm-contain: probe sysrq-c: panic"
    sleep 1
    echo c > /proc/sysrq-trigger
    echo "vm-contain: FAIL: no panic"
    ;;
*)
    echo "vm-contain: all probes done, powering off"
    sleep 1
    moat-vm-call send 0
    ;;
esac
while :; do sleep 1; done
