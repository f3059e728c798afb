// AudioWorklet that hands the microphone's samples (at the context's rate, 16 kHz here) to the main thread.

class CaptureProcessor extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice(0));
    return true;
  }
}

registerProcessor("liveavatar-capture", CaptureProcessor);
