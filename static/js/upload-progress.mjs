// A KPI return file being read by the worker: ask the page for its progress every two seconds,
// show the rows read, and reload when it is finished (the page then shows the return or the
// file's problems). Without JavaScript the page's "Check again" link does the same.
const box = document.querySelector("[data-upload-poll]");
const rows = box?.querySelector("[data-upload-rows]");

async function poll() {
  try {
    const response = await fetch(box.dataset.uploadPoll, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    const status = await response.json();
    if (status.finished) {
      window.location.reload();
      return;
    }
    rows.textContent = status.rows_read.toLocaleString("en-GB");
  } catch {
    // A dropped request: try again next time.
  }
  window.setTimeout(poll, 2000);
}

if (box && rows) window.setTimeout(poll, 2000);
