/* Bangfu's GraphiQL page: the login form, the fetcher that sends the token, and GraphiQL
 * with a storage that lives in this tab only.
 *
 * The password goes from the form to the `login` mutation in a POST body and nowhere
 * else: not into an address, not into GraphiQL's editor, history or any storage. The
 * token is kept in sessionStorage (this tab only; gone when the tab closes) and sent as
 * `Authorization: Bearer ...` by the fetcher; logging out revokes it and forgets it.
 */
(function () {
  "use strict";

  var ENDPOINT = window.location.pathname; // the page is served by the GraphQL endpoint
  var TOKEN_KEY = "bangfu:token";
  var USER_KEY = "bangfu:user";

  var GUIDE = [
    "# 帮扶 Bangfu · GraphQL 调试台",
    "#",
    "# 1. 登录：在页面上方填写用户名和密码，点“登录”。",
    "#    此后本页的每个请求都自动带上令牌。",
    "#    请不要在编辑器里运行 login、写入密码。",
    "#    令牌只存在本标签页，关闭即丢弃；",
    "#    用完请点“退出登录”。",
    "#",
    "# 2. 查询：点 ▶ 按钮（或按 Ctrl-Enter）运行下面的示例：",
    "#    本辖区前 5 户低保家庭的地区、住房评定和成员。",
    "#    县里的干部只看到本县，市管理员看到全市。",
    "#    按 Ctrl-Space 可补全字段名。",
    "#",
    "# 3. 文档：点左侧的书本图标（Docs）看每个字段的说明；",
    "#    完整说明在 Bangfu 代码仓库的 docs/ 目录：",
    "#    docs/api.md（接口指南：登录、分页、错误代码）",
    "#    docs/operations.md（运维）、docs/security.md（安全）",
    "#    docs/import.md（花名册导入）",
    "",
    "{",
    "  households(first: 5, filter: {category: DIBAO}) {",
    "    totalCount",
    "    nodes {",
    "      region { name }",
    "      housing { latestAppraisal { grade } }",
    "      members {",
    "        relation",
    "        person { name idNumber age categories { category monthlyAllowance }",
    "                 education { currentEnrolment { schoolName stage } }",
    "                 medical { insuredThisYear } employment { currentStatus { status } } }",
    "      }",
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");

  var LOGIN = "mutation Login($username: String!, $password: String!) {\n" +
    "  login(username: $username, password: $password) { token expiresAt errors { code message } }\n" +
    "}";
  var LOGOUT = "mutation Logout { logout }";

  function byId(id) {
    return document.getElementById(id);
  }

  // --- The token: this tab only --------------------------------------------------------

  var inMemory = {}; // where the token is kept when the browser allows no sessionStorage

  function sessionGet(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (e) {
      return inMemory[key] || null;
    }
  }

  function sessionSet(key, value) {
    try {
      if (value === null) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (e) {
      if (value === null) delete inMemory[key];
      else inMemory[key] = value;
    }
  }

  // --- GraphiQL's storage: in memory, never a password ----------------------------------

  // GraphiQL keeps its tabs, query history and settings through this object. In memory,
  // they last as long as the page. A value that holds a password argument (a `login`
  // typed into the editor anyway) is refused, the value before it kept: GraphiQL then
  // adds no history entry for it, not even in memory (its QueryStore keeps an entry only
  // once the storage took it).
  var PASSWORD = /password["\\]*\s*:/i;
  function memoryStorage() {
    var items = new Map();
    return {
      getItem: function (key) {
        return items.has(key) ? items.get(key) : null;
      },
      setItem: function (key, value) {
        if (PASSWORD.test(String(value))) throw new Error("not kept: it holds a password");
        items.set(key, String(value));
      },
      removeItem: function (key) {
        items.delete(key);
      },
      clear: function () {
        items.clear();
      },
      get length() {
        return items.size;
      },
    };
  }

  // --- Talking to Bangfu -----------------------------------------------------------------

  function post(body, token) {
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(ENDPOINT, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  }

  // The answer as GraphQL's JSON: Bangfu's refusals (401 for an expired token) are JSON
  // too; a text page from a proxy in between becomes the answer's one error.
  function readAnswer(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("json") !== -1) return response.json();
    return response.text().then(function (text) {
      return { errors: [{ message: text || "HTTP " + response.status }] };
    });
  }

  function firstError(answer) {
    var errors = (answer && answer.errors) || [];
    return errors.length ? errors[0] : null;
  }

  // GraphiQL's fetcher: the editor's request with the token of the logged-in user. A
  // header typed into GraphiQL's Headers pane wins over it.
  function fetcher(params, options) {
    var token = sessionGet(TOKEN_KEY);
    var headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (token) headers.Authorization = "Bearer " + token;
    var extra = (options && options.headers) || {};
    Object.keys(extra).forEach(function (name) {
      headers[name] = extra[name];
    });
    return fetch(ENDPOINT, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(params),
      credentials: "omit",
      cache: "no-store",
    }).then(function (response) {
      if (response.status === 401 && token && token === sessionGet(TOKEN_KEY)) {
        forget();
        show("登录已失效（令牌过期或已撤销），请重新登录。", true);
      }
      return readAnswer(response);
    });
  }

  // --- The login form ------------------------------------------------------------------

  function show(message, isError) {
    var status = byId("bangfu-status");
    status.textContent = message || "";
    status.className = isError ? "bangfu-status bangfu-error" : "bangfu-status";
  }

  function render() {
    var user = sessionGet(USER_KEY);
    var loggedIn = Boolean(sessionGet(TOKEN_KEY));
    byId("bangfu-login").hidden = loggedIn;
    byId("bangfu-session").hidden = !loggedIn;
    byId("bangfu-who").textContent = loggedIn ? user || "" : "";
  }

  function forget() {
    sessionSet(TOKEN_KEY, null);
    sessionSet(USER_KEY, null);
    render();
  }

  function logIn(event) {
    event.preventDefault();
    var username = byId("bangfu-username").value.trim();
    var passwordField = byId("bangfu-password");
    var password = passwordField.value;
    passwordField.value = ""; // the page keeps no copy of it
    if (!username || !password) {
      show("请填写用户名和密码。", true);
      return;
    }
    var button = byId("bangfu-login-button");
    button.disabled = true;
    show("正在登录……", false);
    post({ query: LOGIN, variables: { username: username, password: password } }, null)
      .then(readAnswer)
      .then(function (answer) {
        var payload = answer && answer.data && answer.data.login;
        var refused = (payload && payload.errors && payload.errors[0]) || firstError(answer);
        if (payload && payload.token) {
          sessionSet(TOKEN_KEY, payload.token);
          sessionSet(USER_KEY, username);
          render();
          show("登录成功。现在可以运行查询。", false);
        } else {
          show("登录失败：" + (refused ? refused.message : "服务没有给出令牌。"), true);
        }
      })
      .catch(function () {
        show("登录失败：连接不到 Bangfu 服务，请稍后再试。", true);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  function logOut() {
    var token = sessionGet(TOKEN_KEY);
    forget(); // forgotten here whatever the server answers
    if (!token) return;
    post({ query: LOGOUT }, token)
      .then(readAnswer)
      .then(function (answer) {
        var error = firstError(answer);
        show(error ? "已退出本页；服务端撤销令牌时出错：" + error.message : "已退出登录。", Boolean(error));
      })
      .catch(function () {
        show("已退出本页，但连接不到服务，令牌将在到期后失效。", true);
      });
  }

  byId("bangfu-login").addEventListener("submit", logIn);
  byId("bangfu-logout-button").addEventListener("click", logOut);
  render();

  // --- GraphiQL ------------------------------------------------------------------------

  // No `query` prop and no onEditQuery: the query is never copied into the address bar.
  // The Headers pane is not persisted (shouldPersistHeaders is false by default).
  var root = ReactDOM.createRoot(byId("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: GUIDE,
      storage: memoryStorage(),
      defaultEditorToolsVisibility: false,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    })
  );
})();
