// The REST calls the real SDK makes (SessionApiClient.js): Bearer token, credentials "include", code === 1000.

const DEFAULT_ERROR_CODE = 500;
const SUCCESS_CODE = 1000;
export const API_URL = "https://api.liveavatar.com";

export class SessionApiError extends Error {
  constructor(message, errorCode, status) {
    super(message);
    this.errorCode = errorCode ?? DEFAULT_ERROR_CODE;
    this.status = status ?? null;
  }
}

export class SessionAPIClient {
  constructor(sessionToken, apiUrl = API_URL) {
    this.sessionToken = sessionToken;
    this.apiUrl = apiUrl ?? API_URL;
  }

  async request(path, params) {
    try {
      const response = await fetch(`${this.apiUrl}${path}`, {
        ...params,
        credentials: "include",
        headers: {
          Authorization: `Bearer ${this.sessionToken}`,
          "Content-Type": "application/json",
          ...params.headers,
        },
      });
      if (!response.ok) {
        const data = await response.json();
        throw new SessionApiError(
          data.message || `API request failed with status ${response.status}`,
          data.code,
          response.status,
        );
      }
      const data = await response.json();
      if (data.code !== SUCCESS_CODE) {
        throw new SessionApiError(data.message || "API request failed");
      }
      return data.data;
    } catch (error) {
      if (error instanceof SessionApiError) throw error;
      throw new SessionApiError("API request failed");
    }
  }

  startSession() {
    return this.request("/v1/sessions/start", { method: "POST" });
  }

  stopSession() {
    return this.request("/v1/sessions/stop", { method: "POST" });
  }

  keepAlive() {
    return this.request("/v1/sessions/keep-alive", { method: "POST" });
  }
}
