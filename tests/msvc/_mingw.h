/* _mingw.h - found first by the MSVC compile check (tools/windows.sh),
   which parses parconc.h as clang does for the MSVC target, against
   mingw-w64's headers.  Those headers, seeing no __GNUC__, define
   __attribute__ away and put __declspec where clang rejects it; this puts
   back what clang's own intrinsic headers and mingw's declarations need. */
#include_next <_mingw.h>
#undef __attribute__
#undef __MINGW_ATTRIB_NORETURN
#define __MINGW_ATTRIB_NORETURN __attribute__((__noreturn__))
#undef __MINGW_ATTRIB_DEPRECATED
#define __MINGW_ATTRIB_DEPRECATED __attribute__((__deprecated__))
#undef __MINGW_NOTHROW
#define __MINGW_NOTHROW
