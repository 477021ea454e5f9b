// badptr: passes bad pointers to every system call that takes one, and
// checks that each gets -EFAULT (or the error named) and the kernel goes on.
// Exit status: the number of calls that answered otherwise (0: all right).
#include "syscall.h"

namespace {
int bad;
char buf[64];

const char read_only[16] = "read-only";  // in the program's read-only segment

void expect(const char* what, long got, long want) {
    if (got == want) return;
    ++bad;
    sys::print("badptr: %s returned %d, want %d", what, got, want);
}
}  // namespace

extern "C" int main() {
    const unsigned long kernel = 0x100000;                     // the kernel image
    const unsigned long unmapped = USER_BASE_ADDR + 0x10000000;  // nothing there
    const unsigned long last = USER_END_ADDR - 8;              // 8 bytes before the end of user space
    const unsigned long text = (unsigned long)read_only;       // a read-only page

    expect("write(null)", sys::write(nullptr, 4), -EFAULT);
    expect("write(kernel)", sys::write((const char*)kernel, 4), -EFAULT);
    expect("write(unmapped)", sys::write((const char*)unmapped, 4), -EFAULT);
    expect("write(across the end)", sys::write((const char*)last, 64), -EFAULT);
    expect("write(huge length)", sys::write(buf, ~0ul), -EFAULT);
    expect("write(non-canonical)", sys::write((const char*)(unsigned long)0x0000800000000000ull, 4), -EFAULT);
    expect("spawn(null)", sys::spawn(nullptr), -EFAULT);
    expect("spawn(kernel)", sys::spawn((const char*)kernel), -EFAULT);
    expect("spawn(unmapped)", sys::spawn((const char*)unmapped), -EFAULT);
    // A name running into an unmapped page: the stack's top page ends where
    // user space's last page (never mapped) begins.
    char* top = (char*)((unsigned long)&bad | 0xFFF);  // the last byte of .data's page
    *top = 'x';
    expect("spawn(name into unmapped)", sys::spawn(top), -EFAULT);
    for (int i = 0; i < 63; ++i) buf[i] = 'a';
    expect("spawn(no NUL)", sys::spawn(buf), -ENAMETOOLONG);
    expect("spawn(no such module)", sys::spawn("nosuch"), -ENOENT);
    expect("getname(null)", sys::getname(nullptr, 16), -EFAULT);
    expect("getname(kernel)", sys::getname((char*)kernel, 16), -EFAULT);
    expect("getname(unmapped)", sys::getname((char*)unmapped, 16), -EFAULT);
    expect("getname(read-only page)", sys::getname((char*)text, 16), -EFAULT);
    expect("getname(short)", sys::getname(buf, 2), -EINVAL);
    expect("getname", sys::getname(buf, sizeof buf), 6);
    expect("wait(not a child)", sys::wait(1), -ECHILD);
    expect("sleep(too long)", sys::sleep(1000000), -EINVAL);
    expect("no such call", sys::call(1000), -ENOSYS);
    sys::print("badptr: %d of 21 calls answered otherwise; name %s", (long)bad, (long)buf);
    return bad;
}
