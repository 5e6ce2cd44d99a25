/* A stand-in for Windows' bcryptprimitives.dll, for running the Windows build under Wine in
   CI only; it is never shipped. Why: Rust's standard library (1.78 and later) imports
   ProcessPrng from bcryptprimitives.dll, which every Windows 10 / Server 2016 and later has,
   but Debian 12's Wine (8.0) does not: without it every sitelint.exe exits at once with
   status 53. This forwards to RtlGenRandom (SystemFunction036), which Wine has.
   Built by scripts/wine-prefix into the prefix's system32. */
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len > 0) {
    ULONG n = len > 0x7fffffff ? 0x7fffffff : (ULONG)len;
    if (!SystemFunction036(data, n)) return FALSE;
    data += n; len -= n;
  }
  return TRUE;
}
