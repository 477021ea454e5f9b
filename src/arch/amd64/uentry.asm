; Ring 3 on amd64: the SYSCALL entry and the first entry to user mode
; (docs/usermode.md, docs/syscalls.md).
;
; SYSCALL (SDM Vol. 2B SYSCALL) loads RIP from IA32_LSTAR, CS/SS from
; IA32_STAR[47:32], saves the return RIP in RCX and RFLAGS in R11, clears
; the RFLAGS bits set in IA32_FMASK (IF, DF, TF, AC here), and does nothing
; else: RSP is still the user's, GS still the user's. So the entry swaps GS
; first, parks the user RSP in this CPU's block, loads the kernel stack from
; it, and builds the same TrapFrame an interrupt from ring 3 would, so the
; rest of the kernel sees one kind of frame. Interrupts stay off until the
; frame is complete (FMASK cleared IF).
bits 64
section .text
global syscall_entry, enter_user_iret
extern syscall_dispatch, trap_return_user

%include "smpboot.inc"
%include "gprs.inc"

%define UCODE (0x28 | 3)        ; SEL_UCODE, RPL 3 (archcpu.h)
%define UDATA (0x20 | 3)        ; SEL_UDATA, RPL 3
%define SYSCALL_VECTOR 0x80     ; in TrapFrame::vector: "came by SYSCALL"

; [syscall entry]
syscall_entry:
    swapgs
    mov [gs:CPU_ENTRY_SCRATCH], rsp
    mov rsp, [gs:CPU_ENTRY_KSTACK]
    push qword UDATA            ; ss
    push qword [gs:CPU_ENTRY_SCRATCH] ; rsp
    push r11                    ; rflags
    push qword UCODE            ; cs
    push rcx                    ; rip
    push qword 0                ; error code
    push qword SYSCALL_VECTOR   ; vector
    PUSH_GPRS
    xor ebp, ebp                ; the user's RBP is no kernel frame
    mov rdi, rsp
    sti                         ; preemptible from here, like any thread
    call syscall_dispatch
    cli                         ; nothing may interrupt between SWAPGS and SYSRETQ
    ; SYSRETQ loads RIP from RCX without a check: to a non-canonical one,
    ; Intel CPUs raise #GP in ring 0 with the user's RSP and GS (SDM Vol. 2B
    ; SYSRET). Such a return goes by IRETQ, whose fault trap_common knows.
    mov rcx, [rsp + 17 * 8]     ; TrapFrame::ip
    mov rax, rcx
    sar rax, 47
    jz .canonical
    cmp rax, -1
    jne trap_return_user
.canonical:
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    add rsp, 8                  ; rcx: SYSRET takes the return RIP from it
    pop rbx
    pop rax
    mov r11, [rsp + 4 * 8]      ; rflags (after vector, error, rip, cs)
    mov rsp, [rsp + 5 * 8]      ; the user's stack
    swapgs
    o64 sysret
; [syscall entry]

; enter_user_iret(ip, sp, arg0, arg1), for arch_enter_user(): RDI, RSI, RDX, RCX.
; An IRETQ frame for ring 3 with IF set; the arguments in RDI and RSI for
; crt0, every other register zero (no kernel value leaks to user code).
enter_user_iret:
    cli
    push qword UDATA            ; ss
    push rsi                    ; rsp
    push qword 0x202            ; rflags: IF, and bit 1 which is always set
    push qword UCODE            ; cs
    push rdi                    ; rip
    mov rdi, rdx
    mov rsi, rcx
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    swapgs
    iretq
