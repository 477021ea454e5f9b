; Entering ring 3 on i686 (SDM Vol. 3A 6.12.1, 6.14.2: IRET to an outer level).
;
;   [[noreturn]] void enter_user(uintptr_t ip, uintptr_t sp, uintptr_t arg0, uintptr_t arg1)
; (arch_enter_user() in uentry_arch.cpp)
;
; IRET pops EIP, CS, EFLAGS and, because CS's RPL (3) is above the CPL (0),
; ESP and SS too: one instruction switches privilege, stack and code. The
; kernel stack to come back to is the TSS's esp0 (arch_set_kernel_stack()),
; which the caller set. arg0 and arg1 go in EAX and EDX (crt0 takes them from
; there); every other general register is zero, so no kernel value leaks.
; DS and ES get the user data segment, FS and GS the null selector: user
; code has no business with them, and a null GS is what a ring-3 entry must
; replace before this_cpu() works again (trapentry.asm).
bits 32
section .text
global enter_user

SEL_UCODE equ 0x30 | 3          ; archcpu.h
SEL_UDATA equ 0x38 | 3

enter_user:
    cli                         ; no interrupt between the segment loads and IRET
    mov ecx, [esp + 4]          ; ip
    mov ebx, [esp + 8]          ; sp
    mov eax, [esp + 12]         ; arg0
    mov edx, [esp + 16]         ; arg1
    push dword SEL_UDATA        ; ss
    push ebx                    ; esp
    push dword 0x202            ; eflags: IF, bit 1 (reserved, 1); IOPL 0, DF 0, AC 0
    push dword SEL_UCODE        ; cs
    push ecx                    ; eip
    mov cx, SEL_UDATA
    mov ds, cx
    mov es, cx
    xor ecx, ecx
    mov fs, cx
    mov gs, cx
    xor ebx, ebx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    iret
