#!/bin/sh
# /init of the vm-linux guests (tests/vm/vm-linux*.expect check these lines, which reach
# the log server through the VM's UART under the VM's label). moat-vm-call sends the
# VM's event 0: a poweroff (vm-linux, vm-linux-cpu1) or "I am up" to the ticker
# (vm-linux-two).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Kernel messages below KERN_ALERT only from here on: they would cut into the lines below.
echo 1 > /proc/sys/kernel/printk
echo "vm-linux: /init reached, Linux $(uname -r)"
echo "vm-linux: $(grep -o 'tsc_early_khz=[0-9]*' /proc/cmdline), $(dmesg | grep -o 'tsc: Detected [0-9.]* MHz')"
echo "vm-linux: $(grep -c ^processor /proc/cpuinfo) CPU, $(grep -o 'x2apic' /proc/cpuinfo | head -1), $(grep MemTotal /proc/meminfo | tr -s ' ')"
echo "vm-linux: sending event 0"
sleep 1 # the console driver polls: let it pass the lines above to the UART first
moat-vm-call send 0
echo "vm-linux: event 0 sent, idle"
while :; do sleep 1; done
