; Copying to and from user memory with fault recovery (i686).
;
;   size_t copy_user_raw(void* dst, const void* src, size_t n)   ; bytes NOT copied
;
; The only instruction that touches user memory is the `rep movsb` between
; copy_user_fault_lo and copy_user_fault_hi. A page fault (or #GP) there is
; resumed by the trap code at copy_user_fixup with the registers of the
; fault: a faulting REP string instruction leaves ECX at the count not yet
; done, so the copy can be restarted (SDM Vol. 2B, REP, "interrupted"), and
; that count is what the fixup returns. The caller checked the range against
; user space first; this only survives what it cannot check (a page that is
; not mapped, or read-only under CR0.WP).
bits 32
section .text
global copy_user_raw, copy_user_fault_lo, copy_user_fault_hi, copy_user_fixup

copy_user_raw:
    push esi
    push edi
    mov edi, [esp + 12]
    mov esi, [esp + 16]
    mov ecx, [esp + 20]
    cld
copy_user_fault_lo:
    rep movsb
copy_user_fault_hi:
    xor eax, eax
    pop edi
    pop esi
    ret
copy_user_fixup:
    mov eax, ecx
    pop edi
    pop esi
    ret
