; Embeds the flat trampoline binary (trampoline.bin.asm, assembled first by
; CMake) in the kernel image, between trampoline_start and trampoline_end.
section .rodata
global trampoline_start, trampoline_end
align 16
trampoline_start:
    incbin "trampoline.bin"
trampoline_end:
