/* What Wine's shell shows, read from its windows for the Windows tray test (tests/tests/
 * wine_tray.rs); a test harness tool, never shipped. One line per thing, UTF-8:
 *   icon HWND LEFT TOP RIGHT BOTTOM     a tray icon's own window, on screen (Wines that
 *                                       give each icon a window)
 *   tip HWND BALLOON VISIBLE TOOL LEFT TOP RIGHT BOTTOM\tTITLE\tTEXT
 *                                       each tool of each tooltip window of the shell: an
 *                                       icon's tooltip with the icon's place on screen, or a
 *                                       balloon (BALLOON 1)
 *   window PID VISIBLE EXSTYLE OWNER\tTITLE
 *                                       each top-level window of another process
 * The tooltips' texts live in the shell's process: they are asked for with buffers placed
 * there (VirtualAllocEx), as Windows' own accessibility tools do. */
#define _WIN32_WINNT 0x0601
#include <windows.h>
#include <commctrl.h>
#include <stdio.h>

static DWORD shell_pid;
static HANDLE shell;

static void put(const wchar_t *w) {
  char buf[4096];
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, buf, sizeof buf, NULL, NULL);
  for (int i = 0; i < n - 1; i++) if (buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r') buf[i] = ' ';
  if (n > 1) fwrite(buf, 1, n - 1, stdout);
}

struct remote { TTTOOLINFOW ti; TTGETTITLE title; wchar_t text[1024]; wchar_t title_text[256]; };

static void tips(HWND tip) {
  struct remote *r = VirtualAllocEx(shell, NULL, sizeof *r, MEM_COMMIT, PAGE_READWRITE);
  if (!r) return;
  int count = (int)SendMessageW(tip, TTM_GETTOOLCOUNT, 0, 0);
  BOOL balloon = (GetWindowLongW(tip, GWL_STYLE) & TTS_BALLOON) != 0;
  for (int i = 0; i < count; i++) {
    TTTOOLINFOW ti = { .cbSize = sizeof ti };
    WriteProcessMemory(shell, &r->ti, &ti, sizeof ti, NULL);
    if (!SendMessageW(tip, TTM_ENUMTOOLSW, i, (LPARAM)&r->ti)) continue;
    ReadProcessMemory(shell, &r->ti, &ti, sizeof ti, NULL);
    ti.lpszText = r->text;
    WriteProcessMemory(shell, &r->ti, &ti, sizeof ti, NULL);
    wchar_t empty = 0;
    WriteProcessMemory(shell, r->text, &empty, sizeof empty, NULL);
    SendMessageW(tip, TTM_GETTEXTW, 1024, (LPARAM)&r->ti);
    wchar_t text[1024] = {0}, title[256] = {0};
    ReadProcessMemory(shell, r->text, text, sizeof text - sizeof(wchar_t), NULL);
    TTGETTITLE gt = { .dwSize = sizeof gt, .cch = 255, .pszTitle = r->title_text };
    WriteProcessMemory(shell, &r->title, &gt, sizeof gt, NULL);
    WriteProcessMemory(shell, r->title_text, &empty, sizeof empty, NULL);
    SendMessageW(tip, TTM_GETTITLE, 0, (LPARAM)&r->title);
    ReadProcessMemory(shell, r->title_text, title, sizeof title - sizeof(wchar_t), NULL);
    /* The tool's rectangle on screen: where the icon is drawn (Wine's tray draws its icons
     * itself, each a rectangle of the tray window). */
    RECT rc = ti.rect;
    MapWindowPoints(ti.hwnd, HWND_DESKTOP, (POINT *)&rc, 2);
    printf("tip %p %d %d %p %ld %ld %ld %ld\t", (void *)tip, balloon, IsWindowVisible(tip),
           (void *)ti.hwnd, rc.left, rc.top, rc.right, rc.bottom);
    put(title); printf("\t"); put(text); printf("\n");
  }
  VirtualFreeEx(shell, r, 0, MEM_RELEASE);
}

static BOOL CALLBACK icon(HWND h, LPARAM l) {
  (void)l;
  wchar_t cls[128];
  GetClassNameW(h, cls, 128);
  RECT rc;
  if (IsWindowVisible(h) && lstrcmpW(cls, L"Button") && GetWindowRect(h, &rc))
    printf("icon %p %ld %ld %ld %ld\n", (void *)h, rc.left, rc.top, rc.right, rc.bottom);
  return TRUE;
}

static BOOL CALLBACK top(HWND h, LPARAM l) {
  (void)l;
  DWORD pid = 0;
  GetWindowThreadProcessId(h, &pid);
  wchar_t cls[128];
  GetClassNameW(h, cls, 128);
  if (pid == shell_pid) {
    if (!lstrcmpW(cls, TOOLTIPS_CLASSW)) tips(h);
  } else if (pid != GetCurrentProcessId()) {
    wchar_t title[256] = {0};
    GetWindowTextW(h, title, 256);
    printf("window %lu %d %08lx %p\t", pid, IsWindowVisible(h), (unsigned long)GetWindowLongW(h, GWL_EXSTYLE),
           (void *)GetWindow(h, GW_OWNER));
    put(title); printf("\n");
  }
  return TRUE;
}

int main(void) {
  HWND tray = FindWindowW(L"Shell_TrayWnd", NULL);
  if (!tray) { fprintf(stderr, "no Shell_TrayWnd: is the desktop up?\n"); return 1; }
  GetWindowThreadProcessId(tray, &shell_pid);
  shell = OpenProcess(PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE, FALSE, shell_pid);
  if (!shell) { fprintf(stderr, "cannot open the shell's process\n"); return 1; }
  EnumChildWindows(tray, icon, 0);
  EnumWindows(top, 0);
  fflush(stdout);
  return 0;
}
