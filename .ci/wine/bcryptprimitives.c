/*
 * bcryptprimitives.dll for running the Windows build's tests under wine (.ci/run); test support
 * only, never shipped.
 *
 * Rust's std (1.78 and later) gets its random numbers (the seeds of HashMap's hasher) from
 * ProcessPrng in bcryptprimitives.dll, the call Windows 10 and later offer. Debian 12's wine 8.0
 * has no such DLL, so every Rust program fails to start under it. This DLL provides that one
 * function, forwarding to RtlGenRandom (exported by advapi32.dll as SystemFunction036), which
 * wine does have. Build (.ci/run does):
 *
 *     x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c
 *
 * and put it where wine looks for a program's DLLs (.ci/run: on WINEPATH).
 */
#include <windows.h>

/* RtlGenRandom: its real name is SystemFunction036; it has no header of its own. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills `data` with `length` random bytes; always TRUE, as Windows documents ProcessPrng. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a ULONG length: feed it in pieces that fit. */
    while (length > 0) {
        ULONG piece = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        length -= piece;
    }
    return TRUE;
}
