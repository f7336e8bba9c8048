module.exports = () => ["home", "blog"];
