// Reading a QR code with the phone: the camera (BarcodeDetector where the browser has it, the vendored jsQR decoder
// otherwise) or a photo chosen from the album. Only this origin's files are loaded (no CDN): jsQR is fetched from
// /static/portal/jsqr/ the first time a browser without BarcodeDetector needs it.

let jsQRLoaded = null;

function loadJsQR() {
  if (jsQRLoaded === null) {
    jsQRLoaded = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL("./jsqr/jsQR.js", import.meta.url).href;
      script.onload = () => resolve(window.jsQR);
      script.onerror = () => reject(new Error("the QR decoder did not load"));
      document.head.append(script);
    });
  }
  return jsQRLoaded;
}

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    return formats.includes("qr_code") ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  } catch {
    return null;
  }
}

/** A decoder of a drawable (video, image, canvas) to the text of the QR code it shows, or null. */
async function decoder() {
  const native = await nativeDetector();
  if (native) {
    return async (source) => (await native.detect(source))[0]?.rawValue ?? null;
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async (source) => {
    const width = source.videoWidth ?? source.naturalWidth ?? source.width;
    const height = source.videoHeight ?? source.naturalHeight ?? source.height;
    if (!width || !height) return null;
    canvas.width = width;
    canvas.height = height;
    context.drawImage(source, 0, 0, width, height);
    const found = jsQR(context.getImageData(0, 0, width, height).data, width, height);
    return found?.data ?? null;
  };
}

/** The text of the QR code in an image file (a photo from the album), or null when it holds none. */
export async function scanPhoto(file) {
  const bitmap = await createImageBitmap(file); // no blob: URL, which the page's CSP does not allow as an image
  try {
    return await (await decoder())(bitmap);
  } finally {
    bitmap.close();
  }
}

/** Show the back camera in ``video`` until a QR code is seen (resolves to its text) or ``stop()`` is called
 * (resolves to null); rejects when there is no camera or no permission. */
export function scanCamera(video) {
  let stopped = false;
  let stream = null;
  const done = (async () => {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const decode = await decoder();
    try {
      while (!stopped) {
        const text = await decode(video).catch(() => null);
        if (text) return text;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return null;
    } finally {
      for (const track of stream.getTracks()) track.stop();
      video.srcObject = null;
      video.hidden = true;
    }
  })();
  return { done, stop: () => { stopped = true; } };
}
