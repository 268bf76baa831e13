/* A minimal subject built with the project's freestanding toolchain (clang + lld), so
 * the tests also feed moat-polc an ELF a real linker wrote: text, data and bss. */
    .text
    .globl _start
_start:
    movq value(%rip), %rax
    movq %rax, buffer(%rip)
1:  jmp 1b

    .data
value:
    .quad 42

    .bss
buffer:
    .skip 8192
