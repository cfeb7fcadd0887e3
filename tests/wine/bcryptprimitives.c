/* A test-harness shim, never shipped: Rust's standard library imports ProcessPrng from
 * bcryptprimitives.dll (Windows 10 and later), which Wine has only from version 9. Placed
 * beside bbwatch.exe under Wine 8, this one answers with RtlGenRandom (SystemFunction036). */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
