; crt0 of i686 user programs: _start, the ELF entry point.
;
; The kernel will enter here in ring 3 with ESP at the top of the user stack,
; 16-byte aligned, as the System V ABI Intel386 supplement (2.3.1, "Initial
; Stack and Register State") has it. No arguments are passed yet;
; initial_sp keeps where they will be. main()'s
; return value goes to exit; exit does not return.
bits 32
section .text.start
global _start, initial_sp
extern main
_start:
    mov [initial_sp], esp   ; where argc and argv will be, once the kernel passes them
    xor ebp, ebp            ; the outermost frame: a backtrace stops here
    and esp, -16            ; the ABI's alignment at a call, whatever we were given
    call main
    mov ebx, eax            ; exit(status): int 0x80, EAX = SYS_exit, EBX = status
    mov eax, 0              ; SYS_exit (user/lib/syscall.h)
    int 0x80
.hang:
    jmp .hang               ; exit came back: the kernel does not serve it yet

section .bss
alignb 4
initial_sp: resb 4           ; also gives every program a data segment (user.ld)
