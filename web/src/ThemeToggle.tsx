import { useEffect, useId, useState } from 'react';

type Theme = 'system' | 'light' | 'dark';

/** Light, dark or the system's choice; a display preference, so localStorage is fine here (no secrets). */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('novacron.theme') as Theme | null) ?? 'system');
  const id = useId();
  useEffect(() => {
    localStorage.setItem('novacron.theme', theme);
    if (theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
  return (
    <>
      <label htmlFor={id} className="visually-hidden">
        Theme
      </label>
      <select id={id} value={theme} onChange={(event) => setTheme(event.target.value as Theme)}>
        <option value="system">System theme</option>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
      </select>
    </>
  );
}
