; crt0 of i686 user programs: _start, the ELF entry point.
;
; The kernel enters here in ring 3 (arch_enter_user, uentry.h) with ESP at
; the top of the user stack, as the System V ABI Intel386 supplement (2.3.1,
; "Initial Stack and Register State") has it, and main()'s two arguments in
; EAX and EDX: spawn()'s argument and 0. The i386 convention passes them on
; the stack, so crt0 pushes them. main()'s return value goes to exit; exit
; does not return.
bits 32
section .text.start
global _start, initial_sp
extern main
_start:
    mov [initial_sp], esp   ; the stack as the kernel gave it
    xor ebp, ebp            ; the outermost frame: a backtrace stops here
    and esp, -16            ; the ABI's alignment at a call, whatever we were given
    sub esp, 8              ; two pushes below keep ESP 16-byte aligned at the call
    push edx                ; main(arg0, arg1): arguments right to left
    push eax
    call main
    mov ebx, eax            ; exit(status): int 0x80, EAX = SYS_exit, EBX = status
    mov eax, 0              ; SYS_exit (user/lib/sysnum.h)
    int 0x80
.hang:
    jmp .hang               ; exit does not come back

; A thread's entry (sys::thread): EAX = its function, EDX = its argument, ESP
; the top of its own stack. Calls fn(arg) and passes the result to
; thread_exit, which does not return.
global thread_entry
thread_entry:
    xor ebp, ebp
    and esp, -16
    sub esp, 12             ; the push below keeps ESP 16-byte aligned at the call
    push edx
    call eax                ; long fn(long arg)
    mov ebx, eax
    mov eax, 11             ; SYS_thread_exit (user/lib/sysnum.h)
    int 0x80
.hang:
    jmp .hang

section .bss
alignb 4
initial_sp: resb 4           ; also gives every program a data segment (user.ld)
