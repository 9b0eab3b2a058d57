// Adds the book's downloads (course bundle, mmcl wheel, whole-book PDF) to the
// download menu of every page. The file names come from window.MMCL_DOWNLOADS,
// written by book/_ext/downloads.py; the files sit at the root of the site.
document.addEventListener("DOMContentLoaded", () => {
  const menu = document.querySelector(".dropdown-download-buttons ul.dropdown-menu");
  const files = window.MMCL_DOWNLOADS;
  if (!menu || !files) return;
  const root = document.documentElement.dataset.content_root || "";
  for (const [label, file] of Object.entries(files)) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = root + file;
    link.className = "btn btn-sm dropdown-item mmcl-download";
    link.title = "Download " + label;
    link.setAttribute("download", "");
    const icon = document.createElement("i");
    icon.className = "fas fa-file-arrow-down";
    const text = document.createElement("span");
    text.className = "btn__text-container";
    text.textContent = " " + label;
    link.append(icon, text);
    item.append(link);
    menu.append(item);
  }
});
