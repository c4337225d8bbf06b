"""The numerics the door sends (RFC 1459/2812, Modern), and how a reply is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuichat.server.doors.irc.message import encode

if TYPE_CHECKING:
    from tuichat.server.doors.irc.session import IrcSession

RPL_WELCOME, RPL_YOURHOST, RPL_CREATED, RPL_MYINFO, RPL_ISUPPORT = (
    "001", "002", "003", "004", "005")
RPL_UMODEIS = "221"
RPL_USERHOST, RPL_ISON = "302", "303"
RPL_WHOWASUSER, RPL_ENDOFWHOWAS, ERR_WASNOSUCHNICK = "314", "369", "406"
RPL_INFO, RPL_ENDOFINFO, RPL_TIME = "371", "374", "391"
RPL_LUSERUNKNOWN = "253"
ERR_NOPRIVILEGES = "481"
RPL_INVITING, ERR_USERONCHANNEL = "341", "443"
RPL_LUSERCLIENT, RPL_LUSEROP, RPL_LUSERCHANNELS, RPL_LUSERME = "251", "252", "254", "255"
RPL_LOCALUSERS, RPL_GLOBALUSERS = "265", "266"
RPL_AWAY, RPL_UNAWAY, RPL_NOWAWAY = "301", "305", "306"
RPL_WHOISUSER, RPL_WHOISSERVER, RPL_WHOISOPERATOR = "311", "312", "313"
RPL_ENDOFWHO, RPL_WHOISIDLE, RPL_ENDOFWHOIS, RPL_WHOISCHANNELS = "315", "317", "318", "319"
RPL_LISTSTART, RPL_LIST, RPL_LISTEND = "321", "322", "323"
RPL_CHANNELMODEIS = "324"
RPL_NOTOPIC, RPL_TOPIC = "331", "332"
RPL_WHOREPLY, RPL_NAMREPLY, RPL_ENDOFNAMES = "352", "353", "366"
RPL_ENDOFBANLIST = "368"
RPL_MOTD, RPL_MOTDSTART, RPL_ENDOFMOTD = "372", "375", "376"
RPL_YOUREOPER = "381"
RPL_WHOISHOST = "378"
ERR_NOSUCHNICK, ERR_NOSUCHCHANNEL, ERR_CANNOTSENDTOCHAN = "401", "403", "404"
ERR_NORECIPIENT, ERR_NOTEXTTOSEND = "411", "412"
ERR_INPUTTOOLONG, ERR_UNKNOWNCOMMAND, ERR_NOMOTD = "417", "421", "422"
ERR_NONICKNAMEGIVEN, ERR_ERRONEUSNICKNAME, ERR_NICKNAMEINUSE = "431", "432", "433"
ERR_USERNOTINCHANNEL, ERR_NOTONCHANNEL = "441", "442"
ERR_NOTREGISTERED, ERR_NEEDMOREPARAMS, ERR_ALREADYREGISTERED = "451", "461", "462"
ERR_PASSWDMISMATCH, ERR_YOUREBANNEDCREEP = "464", "465"
ERR_UNKNOWNMODE, ERR_BADCHANNAME = "472", "479"
ERR_CHANOPRIVSNEEDED, ERR_UMODEUNKNOWNFLAG, ERR_USERSDONTMATCH = "482", "501", "502"
ERR_INVALIDCAPCMD = "410"
ERR_CHANNELISFULL, ERR_INVALIDMODEPARAM = "471", "696"


class Replies:
    """Writes numerics and server lines to a session, as the server named ``name``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def numeric(self, session: IrcSession, code: str, *params: str) -> None:
        """``:server CODE target params...`` to ``session``."""
        session.conn.write(encode(self.name, code, session.target, *params))

    def server(self, session: IrcSession, command: str, *params: str) -> None:
        """A line from the server itself (``PONG``, ``CAP``, ``MODE``)."""
        session.conn.write(encode(self.name, command, *params))

    def need_params(self, session: IrcSession, command: str) -> None:
        """``ERR_NEEDMOREPARAMS`` for ``command``."""
        self.numeric(session, ERR_NEEDMOREPARAMS, command, "Not enough parameters")
